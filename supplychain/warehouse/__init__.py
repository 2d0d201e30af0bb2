"""The warehouse stage: load the processed zone into a dbt target and build the dbt project over it."""
