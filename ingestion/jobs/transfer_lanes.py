"""Glue job: the transfer-lane reference table -> processed/.

Locally: spark-submit ingestion/jobs/transfer_lanes.py --lake-root lake [--run-date YYYY-MM-DD] [--full-refresh]
"""

import sys

from ingestion.glue import run_job

if __name__ == "__main__":
    sys.exit(run_job("transfer_lanes"))
