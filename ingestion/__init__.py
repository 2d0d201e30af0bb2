"""Ingestion: PySpark jobs, written as AWS Glue jobs, that land raw drops in the processed zone."""
