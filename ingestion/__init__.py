"""Ingestion: PySpark jobs, written as AWS Glue jobs, that land raw drops in the processed zone. The source specs
(sources.py) hold no Spark; the stage's entry point is `ingestion.stage.run(options, resources)`."""
