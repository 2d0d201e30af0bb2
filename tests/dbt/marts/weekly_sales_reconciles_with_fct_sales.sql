-- Weekly totals must equal the order lines they summarise, week by week (units and net revenue).
with

sales_lines as (
    select * from {{ ref('fct_sales') }}
),

weekly_sales as (
    select * from {{ ref('weekly_sales_mv') }}
),

line_totals as (
    select
        week_start,
        sum(quantity) as units_sold,
        sum(net_revenue) as net_revenue
    from sales_lines
    group by week_start
),

weekly_totals as (
    select
        week_start,
        sum(units_sold) as units_sold,
        sum(net_revenue) as net_revenue
    from weekly_sales
    group by week_start
),

mismatches as (
    select
        coalesce(line_totals.week_start, weekly_totals.week_start) as week_start,
        line_totals.units_sold as fct_sales_units,
        weekly_totals.units_sold as weekly_units,
        line_totals.net_revenue as fct_sales_net_revenue,
        weekly_totals.net_revenue as weekly_net_revenue
    from line_totals
    full outer join weekly_totals
        on line_totals.week_start = weekly_totals.week_start
    where
        line_totals.week_start is null
        or weekly_totals.week_start is null
        or line_totals.units_sold <> weekly_totals.units_sold
        or abs(line_totals.net_revenue - weekly_totals.net_revenue) > 0.01
)

select * from mismatches
