{#- The weeks of demand_features_weekly that forecasting counts as full (foundation/warehouse/io.py
    full_weeks_sql, keep the two in step): a partial week is left out when it is a series' first, or its last while
    the series stops before the data does (a lagging or closing warehouse) or the data does not cover that week in
    full. A week missing a snapshot inside covered data stays. -#}
{% macro full_demand_weeks(relation) %}
    select
        with_bounds.*
    from (
        select
            weeks.*,
            max(weeks.week_start) over (partition by weeks.series_id) as last_week_start,
            max(weeks.week_start) over () as data_last_week_start,
            max(weeks.days_observed) over (partition by weeks.week_start) as week_days_covered
        from {{ relation }} as weeks
    ) as with_bounds
    where not (
        with_bounds.is_partial_week
        and (
            with_bounds.series_week_number = 1
            or (
                with_bounds.week_start = with_bounds.last_week_start
                and (
                    with_bounds.week_start < with_bounds.data_last_week_start
                    or with_bounds.week_days_covered < 7
                )
            )
        )
    )
{% endmacro %}
