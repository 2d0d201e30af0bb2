-- Calendar labels are what their descriptions promise: 4 January is always in ISO week 1 of its own year and
-- 28 December in the last week of its own; the peak season is one unbroken run of days each year; and a week
-- in demand_features_weekly carries the ISO year, ISO week, month and quarter of its Monday.
with

calendar_days as (
    select * from {{ ref('dim_date') }}
),

demand_weeks as (
    select * from {{ ref('demand_features_weekly') }}
),

iso_anchors_broken as (
    select
        'ISO year or week wrong on 4 January / 28 December' as broken_rule,
        date_day as label_day
    from calendar_days
    where
        (calendar_month = 1 and day_of_month = 4 and (iso_week <> 1 or iso_year <> calendar_year))
        or (
            calendar_month = 12 and day_of_month = 28
            and (iso_week < 52 or iso_year <> calendar_year)
        )
),

peak_runs as (
    select
        calendar_year,
        min(date_day) as first_day,
        max(date_day) as last_day,
        count(*) as peak_days
    from calendar_days
    where is_peak_season
    group by calendar_year
),

peak_gaps as (
    select
        'peak season has a gap' as broken_rule,
        first_day as label_day
    from peak_runs
    where peak_days <> {{ dbt.datediff('first_day', 'last_day', 'day') }} + 1  -- noqa: LT05
),

week_labels_broken as (
    select distinct
        'demand_features_weekly week labels are not its Monday''s' as broken_rule,
        demand_weeks.week_start as label_day
    from demand_weeks
    inner join calendar_days
        on demand_weeks.week_start = calendar_days.date_day
    where
        demand_weeks.iso_year <> calendar_days.iso_year
        or demand_weeks.iso_week <> calendar_days.iso_week
        or demand_weeks.calendar_month <> calendar_days.calendar_month
        or demand_weeks.calendar_quarter <> calendar_days.calendar_quarter
),

final as (
    select * from iso_anchors_broken
    union all
    select * from peak_gaps
    union all
    select * from week_labels_broken
)

select * from final
