"""Glue job: the warehouse master's DMS change data capture -> processed/.

Locally: spark-submit ingestion/jobs/warehouses.py --lake-root lake [--run-date YYYY-MM-DD] [--full-refresh]
"""

import sys

from ingestion.glue import run_job

if __name__ == "__main__":
    sys.exit(run_job("warehouses"))
