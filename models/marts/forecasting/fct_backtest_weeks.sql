{{ config(dist='product_id', sort=['week_start', 'product_id']) }}

-- One row per forecast series, backtest window and scored week: the chosen model's forecast beside what sold, so
-- forecast accuracy (1 - WAPE) and bias are ratios of sums at any grain. Censored weeks (a stock-out day in the
-- week) are left out, as the run's own accuracy leaves them out: their sales show the shelf, not the demand.
with

backtest_weeks as (
    select * from {{ ref('stg_forecasts__backtest_weeks') }}
),

demand_weeks as (
    select * from {{ ref('demand_features_weekly') }}
),

final as (
    select
        {{ supplychain.surrogate_key(['backtest_weeks.series_id', 'backtest_weeks.backtest_cutoff',
            'backtest_weeks.week_start']) }} as backtest_week_id,
        backtest_weeks.series_id,
        demand_weeks.product_id,
        demand_weeks.warehouse_id,
        demand_weeks.current_region_code,
        demand_weeks.category,
        backtest_weeks.backtest_cutoff,
        backtest_weeks.forecast_units,
        cast(demand_weeks.units_sold as double precision) as actual_units,
        abs(backtest_weeks.forecast_units - demand_weeks.units_sold) as abs_error_units,
        backtest_weeks.forecast_units - demand_weeks.units_sold as error_units,
        backtest_weeks.week_start
    from backtest_weeks
    inner join demand_weeks
        on
            backtest_weeks.series_id = demand_weeks.series_id
            and backtest_weeks.week_start = demand_weeks.week_start
    where not demand_weeks.is_censored
)

select * from final
