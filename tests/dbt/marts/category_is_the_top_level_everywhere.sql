-- A column named category means the product's top-level category in every mart (dim_product.category); the full
-- path is category_path. A mart whose category holds another value (a path) would split a report's groups.
with

top_levels as (
    select distinct category
    from {{ ref('dim_product') }}
    where category is not null
),

mart_categories as (
    select distinct
        'demand_features_weekly' as model_name,
        category
    from {{ ref('demand_features_weekly') }}
    union all
    select distinct
        'weekly_sales_mv' as model_name,
        category
    from {{ ref('weekly_sales_mv') }}
    union all
    select distinct
        'demand_forecast_summary' as model_name,
        category
    from {{ ref('demand_forecast_summary') }}
),

unknown_categories as (
    select
        mart_categories.model_name,
        mart_categories.category
    from mart_categories
    where
        mart_categories.category is not null
        and mart_categories.category not in (select top_levels.category from top_levels)
)

select * from unknown_categories
