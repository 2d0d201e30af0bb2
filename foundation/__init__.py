"""The ground floor every stage stands on: settings, the lake (local or S3), the Spark session, the warehouse
(one connector for DuckDB, PostgreSQL and Redshift, the load, the dbt runner, the contract) and the stage
interface. It imports nothing above it: ingestion, forecasting, optimisation and orchestration import it."""
