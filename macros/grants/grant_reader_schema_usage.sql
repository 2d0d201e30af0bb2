{#- Every mart grants select to the BI reader role (dbt_project.yml, +grants), re-applied when a rebuild replaces
    the table. A reader also needs usage on the marts' schema (the target's own schema), which no model owns: this
    on-run-end hook grants it after every run. No role set, or DuckDB (which has no roles): nothing. -#}
{% macro grant_reader_schema_usage() %}
    {%- set role = var('bi_reader_role', env_var('SUPPLYCHAIN_BI_READER_ROLE', '')) -%}
    {%- if execute and role and target.type != 'duckdb' -%}
        {%- do run_query('grant usage on schema ' ~ adapter.quote(target.schema) ~ ' to ' ~ role) -%}
    {%- endif -%}
{% endmacro %}
