-- The region attributions agree once mapped through the warehouse history. fct_sales books each line to the
-- region in force on its day; weekly_sales_mv books a warehouse's whole week to its region on its latest sale of
-- the week; planning (demand_features_weekly) books a series to its warehouse's region now. Checked per week:
-- every sale carries the region its warehouse had on the order day; weekly_sales_mv equals fct_sales re-booked,
-- through the history, to the region of the warehouse's last sale day of the week, and holds one region per
-- warehouse and week; and weekly_sales_mv, re-booked to each warehouse's current region, equals the features.
with

sales_lines as (
    select * from {{ ref('fct_sales') }}
),

weekly_sales as (
    select * from {{ ref('weekly_sales_mv') }}
),

demand_weeks as (
    select * from {{ ref('demand_features_weekly') }}
),

warehouse_history as (
    select * from {{ ref('dim_warehouse_history') }}
),

lines_off_their_day_region as (
    select
        'fct_sales line not in the region in force on its day' as broken_rule,
        sales_lines.region_code,
        sales_lines.week_start,
        sales_lines.quantity as left_units,
        0 as right_units
    from sales_lines
    inner join warehouse_history
        on
            sales_lines.warehouse_id = warehouse_history.warehouse_id
            and sales_lines.order_date >= warehouse_history.valid_from_date
            and (warehouse_history.valid_to_date is null or sales_lines.order_date < warehouse_history.valid_to_date)
    where sales_lines.region_code <> warehouse_history.region_code
),

warehouse_last_days as (
    select
        warehouse_id,
        week_start,
        max(order_date) as last_order_date
    from sales_lines
    group by warehouse_id, week_start
),

line_region_weeks as (
    select
        coalesce(warehouse_history.region_code, sales_lines.region_code) as region_code,
        sales_lines.week_start,
        sum(sales_lines.quantity) as units
    from sales_lines
    inner join warehouse_last_days
        on
            sales_lines.warehouse_id = warehouse_last_days.warehouse_id
            and sales_lines.week_start = warehouse_last_days.week_start
    left join warehouse_history
        on
            sales_lines.warehouse_id = warehouse_history.warehouse_id
            and warehouse_last_days.last_order_date >= warehouse_history.valid_from_date
            and (
                warehouse_history.valid_to_date is null
                or warehouse_last_days.last_order_date < warehouse_history.valid_to_date
            )
    group by coalesce(warehouse_history.region_code, sales_lines.region_code), sales_lines.week_start
),

split_warehouse_weeks as (
    select
        'weekly_sales_mv books a warehouse week to more than one region' as broken_rule,
        min(region_code) as region_code,
        week_start,
        sum(units_sold) as left_units,
        0 as right_units
    from weekly_sales
    group by warehouse_id, week_start
    having count(distinct region_code) > 1
),

weekly_region_weeks as (
    select
        region_code,
        week_start,
        sum(units_sold) as units
    from weekly_sales
    group by region_code, week_start
),

weekly_vs_lines as (
    select
        'weekly_sales_mv <> fct_sales by last-sale-day region and week' as broken_rule,
        coalesce(line_region_weeks.region_code, weekly_region_weeks.region_code) as region_code,
        coalesce(line_region_weeks.week_start, weekly_region_weeks.week_start) as week_start,
        coalesce(weekly_region_weeks.units, 0) as left_units,
        coalesce(line_region_weeks.units, 0) as right_units
    from line_region_weeks
    full outer join weekly_region_weeks
        on
            line_region_weeks.region_code = weekly_region_weeks.region_code
            and line_region_weeks.week_start = weekly_region_weeks.week_start
    where coalesce(line_region_weeks.units, 0) <> coalesce(weekly_region_weeks.units, 0)
),

current_regions as (
    select
        warehouse_id,
        region_code
    from warehouse_history
    where is_current
),

weekly_by_current_region as (
    select
        current_regions.region_code,
        weekly_sales.week_start,
        sum(weekly_sales.units_sold) as units
    from weekly_sales
    inner join current_regions
        on weekly_sales.warehouse_id = current_regions.warehouse_id
    group by current_regions.region_code, weekly_sales.week_start
),

features_by_current_region as (
    select
        current_region_code as region_code,
        week_start,
        sum(units_sold) as units
    from demand_weeks
    group by current_region_code, week_start
),

features_vs_weekly as (
    select
        'demand_features_weekly <> weekly_sales_mv re-booked to current regions' as broken_rule,
        coalesce(weekly_by_current_region.region_code, features_by_current_region.region_code) as region_code,
        coalesce(weekly_by_current_region.week_start, features_by_current_region.week_start) as week_start,
        coalesce(features_by_current_region.units, 0) as left_units,
        coalesce(weekly_by_current_region.units, 0) as right_units
    from weekly_by_current_region
    full outer join features_by_current_region
        on
            weekly_by_current_region.region_code = features_by_current_region.region_code
            and weekly_by_current_region.week_start = features_by_current_region.week_start
    where coalesce(weekly_by_current_region.units, 0) <> coalesce(features_by_current_region.units, 0)
),

final as (
    select * from lines_off_their_day_region
    union all
    select * from weekly_vs_lines
    union all
    select * from split_warehouse_weeks
    union all
    select * from features_vs_weekly
)

select * from final
