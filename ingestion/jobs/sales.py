"""Glue job: ERP sales order lines -> processed/.

Locally: spark-submit ingestion/jobs/sales.py --lake-root lake [--run-date YYYY-MM-DD] [--full-refresh]
"""

import sys

from ingestion.glue import run_job

if __name__ == "__main__":
    sys.exit(run_job("sales"))
