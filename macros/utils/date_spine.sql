{#- One row per day from start_date to end_date inclusive (both SQL expressions), as column date_day.
    Numbers come from cross-joined digits rather than generate_series, which Redshift runs only on the
    leader node and cannot feed into a table. Covers up to 100,000 days. -#}
{% macro date_spine(start_date, end_date) %}
    with

    digits as (
        {%- for digit in range(10) %}
        select {{ digit }} as digit{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    ),

    day_offsets as (
        select
            ones.digit
            + 10 * tens.digit
            + 100 * hundreds.digit
            + 1000 * thousands.digit
            + 10000 * ten_thousands.digit as day_offset
        from digits as ones
        cross join digits as tens
        cross join digits as hundreds
        cross join digits as thousands
        cross join digits as ten_thousands
    ),

    bounds as (
        select
            cast({{ start_date }} as date) as first_day,
            cast({{ end_date }} as date) as last_day
    ),

    days as (
        select cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'bounds.first_day') }} as date) as date_day
        from day_offsets
        cross join bounds
        where day_offsets.day_offset <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
    )

    select date_day from days
{% endmacro %}
