-- The forecasting input loses no demand: units per product x warehouse equal the order lines' units.
with

sales_lines as (
    select * from {{ ref('fct_sales') }}
),

demand_weeks as (
    select * from {{ ref('demand_features_weekly') }}
),

line_units as (
    select
        product_id,
        warehouse_id,
        sum(quantity) as units_sold
    from sales_lines
    group by product_id, warehouse_id
),

feature_units as (
    select
        product_id,
        warehouse_id,
        sum(units_sold) as units_sold
    from demand_weeks
    group by product_id, warehouse_id
),

mismatches as (
    select
        coalesce(line_units.product_id, feature_units.product_id) as product_id,
        coalesce(line_units.warehouse_id, feature_units.warehouse_id) as warehouse_id,
        coalesce(line_units.units_sold, 0) as fct_sales_units,
        coalesce(feature_units.units_sold, 0) as feature_units
    from line_units
    full outer join feature_units
        on
            line_units.product_id = feature_units.product_id
            and line_units.warehouse_id = feature_units.warehouse_id
    where coalesce(line_units.units_sold, 0) <> coalesce(feature_units.units_sold, 0)
)

select * from mismatches
