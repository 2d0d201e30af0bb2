{{ config(dist='all', sort='date_day') }}

-- MetricFlow's time spine: one row per calendar day, so metrics over days without facts (a week with no sales)
-- and cumulative metrics have every day to join to. The days are dim_date's, so the semantic layer and the
-- marts share one calendar.
with

calendar as (
    select * from {{ ref('dim_date') }}
),

final as (
    select date_day
    from calendar
)

select * from final
