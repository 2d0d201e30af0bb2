{#- Fails when the latest value of a date column is more than max_age_days behind a reference: today by default,
    or the latest value of reference_column in reference_model (e.g. inventory must keep up with sales). -#}
{% test recency(model, column_name, max_age_days, reference_model=none, reference_column=none) %}
    with

    latest as (
        select max(cast({{ column_name }} as date)) as latest_day from {{ model }}
    ),

    reference as (
        {% if reference_model is not none %}
        select max(cast({{ reference_column }} as date)) as reference_day from {{ reference_model }}
        {% else %}
        select current_date as reference_day
        {% endif %}
    )

    select
        latest.latest_day,
        reference.reference_day
    from latest
    cross join reference
    where
        latest.latest_day is null
        or latest.latest_day < cast({{ dbt.dateadd('day', -1 * max_age_days, 'reference.reference_day') }} as date)
{% endtest %}
