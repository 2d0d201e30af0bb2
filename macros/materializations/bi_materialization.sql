{#- How the weekly BI/ML aggregates are materialized: a materialized view where the warehouse has one that dbt
    manages (PostgreSQL, Redshift with auto refresh), a table on DuckDB, which has none. Models call
    config(materialized=supplychain.bi_materialization()) instead of branching on the target.
    over_rebuilt_table: the model reads a `table` model, which dbt rebuilds on every run and whose old copy it drops
    with `cascade`. On Redshift that drops the view too, every build: auto refresh never gets to work and the view
    is missing while it is re-created. A table, rebuilt in the same run, is then the honest choice. -#}
{% macro bi_materialization(over_rebuilt_table=false) %}
    {{ return(adapter.dispatch('bi_materialization', 'supplychain')(over_rebuilt_table)) }}
{% endmacro %}

{% macro default__bi_materialization(over_rebuilt_table) %}
    {{ return('table') }}
{% endmacro %}

{#- PostgreSQL has no auto refresh: dbt refreshes its views on every run anyway, dropped or not. -#}
{% macro postgres__bi_materialization(over_rebuilt_table) %}
    {{ return('materialized_view') }}
{% endmacro %}

{% macro redshift__bi_materialization(over_rebuilt_table) %}
    {{ return('table' if over_rebuilt_table else 'materialized_view') }}
{% endmacro %}
