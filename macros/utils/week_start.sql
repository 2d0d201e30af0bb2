{#- The Monday that starts the ISO week of a date, as a date. date_trunc('week') is Monday-based on all three
    targets but returns a timestamp on PostgreSQL and Redshift, hence the cast. -#}
{% macro week_start(date_expression) %}
    cast({{ dbt.date_trunc('week', date_expression) }} as date)
{% endmacro %}
