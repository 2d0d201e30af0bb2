{#- Post-hook of the vintage models: deletes the vintages older than var vintage_retention_weeks before the newest
    one kept (the newest, not today: a pipeline paused for months keeps its record). -#}
{% macro keep_recent_vintages(vintage_column) %}
    delete from {{ this }}
    where {{ vintage_column }} < (
        select {{ dbt.dateadd('day', -7 * var('vintage_retention_weeks'), 'max(kept.' ~ vintage_column ~ ')') }}
        from {{ this }} as kept
    )
{% endmacro %}
