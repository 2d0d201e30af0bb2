{#- For incremental models: a scalar subquery giving the latest value of column already in {{ this }} minus
    days, the point from which rows are re-read so late and corrected rows are merged again. Values after the
    build's own clock are left out: one future-dated row would otherwise move the window past every later load. -#}
{% macro lookback_start(column, days) %}
    (
        select {{ dbt.dateadd('day', -1 * days, 'max(loaded.' ~ column ~ ')') }}
        from {{ this }} as loaded
        where loaded.{{ column }} <= {{ dbt.current_timestamp() }}
    )
{% endmacro %}
