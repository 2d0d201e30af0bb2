{{ config(dist='all', sort='date_day') }}

-- The calendar from the first January of the sales history to a year past the last sale, with the ISO week
-- used everywhere for weekly grain and the retail events that move demand.
with

sales_lines as (
    select * from {{ ref('stg_erp__sales') }}
),

calendar_days as (
    {{ supplychain.date_spine(
        "(select " ~ dbt.date_trunc('year', 'min(order_date)') ~ " from sales_lines)",
        "(select " ~ dbt.dateadd('day', var('calendar_horizon_days'), 'max(order_date)') ~ " from sales_lines)"
    ) }}
),

parts as (
    select
        date_day,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(quarter from date_day) as integer) as calendar_quarter,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast(extract(day from date_day) as integer) as day_of_month,
        -- extract(dow) counts from Sunday = 0 on all three targets; ISO counts Monday = 1 .. Sunday = 7.
        cast(case when extract(dow from date_day) = 0 then 7 else extract(dow from date_day) end as integer)
            as iso_day_of_week,
        cast(extract(week from date_day) as integer) as iso_week
    from calendar_days
),

-- The ISO year is the calendar year of the week's Thursday (29 Dec 2025 belongs to 2026-W01). Computed, not
-- extract(isoyear), which Redshift lacks.
with_iso_year as (
    select
        parts.*,
        cast(extract(year from {{ dbt.dateadd('day', '4 - iso_day_of_week', 'date_day') }}) as integer) as iso_year
    from parts
),

flagged as (
    select
        cast(calendar_year * 10000 + calendar_month * 100 + day_of_month as integer) as date_key,
        cast(case iso_day_of_week
            when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday' when 4 then 'Thursday'
            when 5 then 'Friday' when 6 then 'Saturday' else 'Sunday'
        end as varchar) as day_name,
        -- Retail events from the public calendar (Black Friday is the Friday after the fourth Thursday).
        cast(case
            when calendar_month = 11 and iso_day_of_week = 5 and day_of_month between 23 and 29 then 'black_friday'
            when
                iso_day_of_week = 1
                and ((calendar_month = 11 and day_of_month >= 26) or (calendar_month = 12 and day_of_month <= 2))
                then 'cyber_monday'
            when calendar_month = 7 and iso_day_of_week in (2, 3) and day_of_month between 8 and 15 then 'summer_sale'
            when calendar_month = 12 and day_of_month = 25 then 'christmas_day'
            when calendar_month = 1 and day_of_month = 1 then 'new_years_day'
        end as varchar) as retail_event,
        calendar_year,
        calendar_quarter,
        calendar_month,
        day_of_month,
        iso_day_of_week,
        iso_year,
        iso_week,
        iso_day_of_week >= 6 as is_weekend,
        -- One unbroken season, 24 November to 23 December.
        (calendar_month = 11 and day_of_month >= 24)
        or (calendar_month = 12 and day_of_month <= 23) as is_peak_season,
        date_day,
        {{ supplychain.week_start('date_day') }} as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start
    from with_iso_year
),

final as (
    select
        date_key,
        day_name,
        retail_event,
        calendar_year,
        calendar_quarter,
        calendar_month,
        day_of_month,
        iso_day_of_week,
        iso_year,
        iso_week,
        is_weekend,
        is_peak_season,
        retail_event is not null as is_retail_event,
        date_day,
        week_start,
        month_start
    from flagged
)

select * from final
