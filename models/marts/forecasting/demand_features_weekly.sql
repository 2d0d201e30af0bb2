{{ config(dist='product_id', sort=['week_start', 'product_id']) }}

-- The curated, ML-ready weekly demand per product x warehouse: the target (units_sold), whether stock-outs
-- censored it, lags and trailing means that use only past weeks, and calendar features known in advance.
-- Columns named same_week_* describe the target's own week (revenue, promotions, stock): they are known only
-- once the week is over, so a model that used them as predictors would learn the answer. Lag them first.
with

aggregated_weeks as (
    select * from {{ ref('int_demand_weeks_aggregated') }}
),

products as (
    select * from {{ ref('dim_product') }}
),

warehouses as (
    select * from {{ ref('dim_warehouse') }}
),

calendar_days as (
    select * from {{ ref('dim_date') }}
),

-- A week's labels are those of its Monday (a week from 29 Dec 2025 is ISO 2026-W01 but month 12, Q4);
-- min() over the week's days would give 1 / Q1 to every week that crosses New Year.
calendar_weeks as (
    select
        week_start,
        max(case when date_day = week_start then iso_year end) as iso_year,
        max(case when date_day = week_start then iso_week end) as iso_week,
        max(case when date_day = week_start then calendar_month end) as calendar_month,
        max(case when date_day = week_start then calendar_quarter end) as calendar_quarter,
        sum(case when is_retail_event then 1 else 0 end) as retail_event_days,
        sum(case when is_peak_season then 1 else 0 end) as peak_season_days
    from calendar_days
    group by week_start
),

-- Every Monday from the first week of any series to the last: the grid the series are laid on.
all_days as (
    {{ supplychain.date_spine(
        "(select min(week_start) from aggregated_weeks)",
        "(select max(week_start) from aggregated_weeks)"
    ) }}
),

grid_weeks as (
    select date_day as week_start
    from all_days
    where {{ supplychain.week_start('date_day') }} = date_day
),

series_spans as (
    select
        product_id,
        warehouse_id,
        min(week_start) as first_week_start,
        max(week_start) as last_week_start
    from aggregated_weeks
    group by product_id, warehouse_id
),

-- One row per series and week from its first sale or snapshot to its last, whatever feed was missing in between:
-- a week with neither (no snapshot row and no sale) is filled with zero units and flagged, so a lag of n rows is
-- a lag of n weeks.
demand_weeks as (
    select
        series_spans.product_id,
        series_spans.warehouse_id,
        grid_weeks.week_start,
        coalesce(aggregated_weeks.order_lines, 0) as order_lines,
        coalesce(aggregated_weeks.discounted_lines, 0) as discounted_lines,
        coalesce(aggregated_weeks.units_sold, 0) as units_sold,
        coalesce(aggregated_weeks.net_revenue, 0) as net_revenue,
        coalesce(aggregated_weeks.discount_pct_units, 0) as discount_pct_units,
        coalesce(aggregated_weeks.stockout_days, 0) as stockout_days,
        coalesce(aggregated_weeks.days_observed, 0) as days_observed,
        aggregated_weeks.avg_on_hand_qty,
        aggregated_weeks.week_start is null as is_filled_week
    from series_spans
    inner join grid_weeks
        on grid_weeks.week_start between series_spans.first_week_start and series_spans.last_week_start
    left join aggregated_weeks
        on
            series_spans.product_id = aggregated_weeks.product_id
            and series_spans.warehouse_id = aggregated_weeks.warehouse_id
            and grid_weeks.week_start = aggregated_weeks.week_start
),

with_lags as (
    select
        demand_weeks.*,
        {%- for weeks in [1, 2, 4, 52] %}
            lag(demand_weeks.units_sold, {{ weeks }}) over (
                partition by demand_weeks.product_id, demand_weeks.warehouse_id
                order by demand_weeks.week_start
            ) as units_sold_lag_{{ weeks }},
        {%- endfor %}
        {%- for weeks in [4, 13] %}
            avg(cast(demand_weeks.units_sold as double precision)) over (
                partition by demand_weeks.product_id, demand_weeks.warehouse_id
                order by demand_weeks.week_start
                rows between {{ weeks }} preceding and 1 preceding
            ) as units_sold_mean_{{ weeks }},
        {%- endfor %}
        row_number() over (
            partition by demand_weeks.product_id, demand_weeks.warehouse_id
            order by demand_weeks.week_start
        ) as series_week_number
    from demand_weeks
),

final as (
    select
        {{ supplychain.surrogate_key(['with_lags.product_id', 'with_lags.warehouse_id', 'with_lags.week_start']) }}
            as demand_week_id,
        cast(with_lags.product_id || '|' || with_lags.warehouse_id as varchar) as series_id,
        with_lags.product_id,
        with_lags.warehouse_id,
        -- Planning attribution: the warehouse's region now, for the whole series, so a series never splits across
        -- regions in the forecast hierarchy. BI history books each day to the region then in force
        -- (fct_sales, weekly_sales_mv); tests/dbt/marts/regions_reconcile_through_warehouse_history.sql ties the two.
        warehouses.region_code as current_region_code,
        products.category,
        products.subcategory,
        cast(with_lags.units_sold as integer) as units_sold,
        cast(with_lags.net_revenue as numeric(16, 2)) as same_week_net_revenue,
        cast(with_lags.order_lines as integer) as same_week_order_lines,
        cast(with_lags.stockout_days as integer) as stockout_days,
        cast(with_lags.days_observed as integer) as days_observed,
        cast(with_lags.avg_on_hand_qty as double precision) as same_week_avg_on_hand_qty,
        cast(case
            when with_lags.order_lines > 0 then 1.0 * with_lags.discounted_lines / with_lags.order_lines else 0
        end as double precision) as same_week_promo_line_share,
        cast(case
            when with_lags.units_sold > 0 then with_lags.discount_pct_units / with_lags.units_sold else 0
        end as double precision) as same_week_avg_discount_pct,
        cast(with_lags.units_sold_lag_1 as integer) as units_sold_lag_1,
        cast(with_lags.units_sold_lag_2 as integer) as units_sold_lag_2,
        cast(with_lags.units_sold_lag_4 as integer) as units_sold_lag_4,
        cast(with_lags.units_sold_lag_52 as integer) as units_sold_lag_52,
        cast(with_lags.units_sold_mean_4 as double precision) as units_sold_mean_4,
        cast(with_lags.units_sold_mean_13 as double precision) as units_sold_mean_13,
        cast(with_lags.series_week_number as integer) as series_week_number,
        cast(calendar_weeks.iso_year as integer) as iso_year,
        cast(calendar_weeks.iso_week as integer) as iso_week,
        cast(calendar_weeks.calendar_month as integer) as calendar_month,
        cast(calendar_weeks.calendar_quarter as integer) as calendar_quarter,
        -- A stock-out day means sales show only what was on the shelf: the forecast must not learn from it.
        with_lags.stockout_days > 0 as is_censored,
        with_lags.discounted_lines > 0 as has_same_week_promotion,
        coalesce(calendar_weeks.retail_event_days > 0, false) as has_retail_event,
        coalesce(calendar_weeks.peak_season_days > 0, false) as is_peak_season,
        with_lags.days_observed < 7 as is_partial_week,
        with_lags.is_filled_week,
        with_lags.week_start
    from with_lags
    inner join products
        on with_lags.product_id = products.product_id
    inner join warehouses
        on with_lags.warehouse_id = warehouses.warehouse_id
    left join calendar_weeks
        on with_lags.week_start = calendar_weeks.week_start
)

select * from final
