-- The two region attributions agree once mapped through the warehouse history. History (fct_sales,
-- weekly_sales_mv) books each day to the region in force that day; planning (demand_features_weekly) books a
-- series to its warehouse's region now. Checked per week: every sale carries the region its warehouse had on the
-- order day; weekly_sales_mv equals fct_sales by region; and weekly_sales_mv, re-booked to each warehouse's
-- current region, equals the features by current region.
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

line_region_weeks as (
    select
        region_code,
        week_start,
        sum(quantity) as units
    from sales_lines
    group by region_code, week_start
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
        'weekly_sales_mv <> fct_sales by region and week' as broken_rule,
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
    select * from features_vs_weekly
)

select * from final
