{{ config(dist='product_id', sort=['week_start', 'lag_weeks']) }}

-- How the kept forecasts did, filled in as actuals arrive: one row per vintage x series x target week forecast 1,
-- 2, 4 or 8 weeks ahead whose week is now complete. Error is forecast minus actual (positive = over-forecast, so
-- its sum is the bias); the scaled error divides the absolute error by the series' in-sample naive error as of
-- the vintage (MASE's scale); the naive baseline is the vintage's last actual week repeated, as it stood then, and
-- forecast value added is how many fewer units of absolute error the forecast made than that baseline.
with

vintages as (
    select * from {{ ref('fct_demand_forecast_vintages') }}
    where lag_weeks in ({{ var('accuracy_lags') | join(', ') }})
),

demand_weeks as (
    select * from {{ ref('demand_features_weekly') }}
),

-- A week counts once the data covers all seven of its days (some series saw a whole week of snapshots): the last
-- week of a drop that ends mid-week is still open, and scoring it would read as a demand drop.
complete_weeks as (
    select week_start
    from demand_weeks
    group by week_start
    having max(days_observed) = 7
),

actuals as (
    select
        demand_weeks.series_id,
        demand_weeks.week_start,
        demand_weeks.units_sold
    from demand_weeks
    inner join complete_weeks
        on demand_weeks.week_start = complete_weeks.week_start
),

-- Week-on-week changes between two complete weeks in a row, the naive forecast's in-sample errors.
weekly_changes as (
    select
        this_week.series_id,
        this_week.week_start,
        abs(cast(this_week.units_sold - last_week.units_sold as double precision)) as change_units
    from actuals as this_week
    inner join actuals as last_week
        on
            this_week.series_id = last_week.series_id
            and cast({{ dbt.dateadd('day', -7, 'this_week.week_start') }} as date) = last_week.week_start
),

-- One scale per series and vintage: the mean absolute week-on-week change over the weeks the vintage had seen.
vintage_series as (
    select distinct
        series_id,
        as_of_week_start
    from vintages
),

naive_scales as (
    select
        vintage_series.series_id,
        vintage_series.as_of_week_start,
        avg(weekly_changes.change_units) as naive_scale_units
    from vintage_series
    inner join weekly_changes
        on
            vintage_series.series_id = weekly_changes.series_id
            and vintage_series.as_of_week_start >= weekly_changes.week_start
    group by vintage_series.series_id, vintage_series.as_of_week_start
),

scored as (
    select
        vintages.forecast_vintage_id,
        vintages.as_of_week_start,
        vintages.week_start,
        vintages.lag_weeks,
        vintages.series_id,
        vintages.product_id,
        vintages.warehouse_id,
        vintages.region_code,
        vintages.category,
        vintages.forecast_model,
        vintages.forecast_units,
        cast(target_weeks.units_sold as double precision) as actual_units,
        cast(as_of_weeks.units_sold as double precision) as naive_forecast_units,
        naive_scales.naive_scale_units,
        vintages.lower_80_units,
        vintages.upper_80_units,
        vintages.lower_95_units,
        vintages.upper_95_units
    from vintages
    inner join actuals as target_weeks
        on
            vintages.series_id = target_weeks.series_id
            and vintages.week_start = target_weeks.week_start
    left join actuals as as_of_weeks
        on
            vintages.series_id = as_of_weeks.series_id
            and vintages.as_of_week_start = as_of_weeks.week_start
    left join naive_scales
        on
            vintages.series_id = naive_scales.series_id
            and vintages.as_of_week_start = naive_scales.as_of_week_start
),

final as (
    select
        forecast_vintage_id,
        as_of_week_start,
        week_start,
        lag_weeks,
        series_id,
        product_id,
        warehouse_id,
        region_code,
        category,
        forecast_model,
        forecast_units,
        actual_units,
        forecast_units - actual_units as error_units,
        abs(forecast_units - actual_units) as abs_error_units,
        case
            when naive_scale_units > 0 then abs(forecast_units - actual_units) / naive_scale_units
        end as scaled_abs_error,
        actual_units between lower_80_units and upper_80_units as is_within_80,
        actual_units between lower_95_units and upper_95_units as is_within_95,
        naive_forecast_units,
        abs(naive_forecast_units - actual_units) as naive_abs_error_units,
        abs(naive_forecast_units - actual_units) - abs(forecast_units - actual_units) as value_added_units
    from scored
)

select * from final
