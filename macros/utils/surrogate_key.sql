{#- A stable key from several columns: md5 over the values joined with '|', nulls spelled out so that
    (null, 'a') and ('', 'a') differ. md5() exists on DuckDB, PostgreSQL and Redshift alike. -#}
{% macro surrogate_key(columns) %}
    md5(
        {%- for column in columns %}
        coalesce(cast({{ column }} as varchar), '<null>'){% if not loop.last %} || '|' ||{% endif %}
        {%- endfor %}
    )
{% endmacro %}
