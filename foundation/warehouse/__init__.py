"""The warehouse: the contract (dbt source definitions), the load of the processed zone into a target, the one
dbt runner, and reads and output writes on DuckDB, PostgreSQL and Redshift."""
