{#- How the weekly BI/ML aggregates are materialized: a materialized view where the warehouse has one that dbt
    manages (PostgreSQL, Redshift with auto refresh), a table on DuckDB, which has none. Models call
    config(materialized=supplychain.bi_materialization()) instead of branching on the target. -#}
{% macro bi_materialization() %}
    {{ return(adapter.dispatch('bi_materialization', 'supplychain')()) }}
{% endmacro %}

{% macro default__bi_materialization() %}
    {{ return('table') }}
{% endmacro %}

{% macro postgres__bi_materialization() %}
    {{ return('materialized_view') }}
{% endmacro %}

{% macro redshift__bi_materialization() %}
    {{ return('materialized_view') }}
{% endmacro %}
