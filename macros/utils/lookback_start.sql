{#- For incremental models: a scalar subquery giving the latest value of column already in {{ this }} minus
    days, the point from which rows are re-read so late and corrected rows are merged again. -#}
{% macro lookback_start(column, days) %}
    (select {{ dbt.dateadd('day', -1 * days, 'max(loaded.' ~ column ~ ')') }} from {{ this }} as loaded)
{% endmacro %}
