{#- Every mart grants select to the BI reader role (dbt_project.yml, +grants), re-applied when a rebuild replaces
    the table. A reader also needs usage on the marts' schema (the target's own schema), which no model owns: this
    on-run-end hook grants it after every run. No role set, or DuckDB (which has no roles): nothing. -#}
{% macro grant_reader_schema_usage() %}
    {%- set role = var('bi_reader_role', env_var('SUPPLYCHAIN_BI_READER_ROLE', '')) -%}
    {%- if execute and role and target.type != 'duckdb' -%}
        {%- do run_query(supplychain.reader_schema_usage_sql(target.schema, role)) -%}
    {%- endif -%}
{% endmacro %}

{#- The grant itself. Redshift reads a bare grantee as a user: a role is `to role x` there; on PostgreSQL a role is
    named bare (`to role x` is not PostgreSQL syntax). -#}
{% macro reader_schema_usage_sql(schema, role) %}
    {{- return('grant usage on schema ' ~ adapter.quote(schema) ~ ' to ' ~ ('role ' if target.type == 'redshift' else '') ~ role) -}}
{% endmacro %}
