-- Every order line in the processed zone is in fct_sales exactly once, and fct_sales holds nothing else.
with

processed_lines as (
    select order_id || '-' || cast(line_number as varchar) as order_line_id
    from {{ source('erp', 'sales') }}
),

fact_lines as (
    select order_line_id from {{ ref('fct_sales') }}
),

processed_counts as (
    select
        order_line_id,
        count(*) as processed_rows
    from processed_lines
    group by order_line_id
),

fact_counts as (
    select
        order_line_id,
        count(*) as fact_rows
    from fact_lines
    group by order_line_id
),

mismatches as (
    select
        coalesce(processed_counts.order_line_id, fact_counts.order_line_id) as order_line_id,
        coalesce(processed_counts.processed_rows, 0) as processed_rows,
        coalesce(fact_counts.fact_rows, 0) as fact_rows
    from processed_counts
    full outer join fact_counts
        on processed_counts.order_line_id = fact_counts.order_line_id
    -- A line missing from the fact (fact_rows 0) and a fact line the processed zone does not hold (processed_rows
    -- 0) both fail; the processed zone may hold a line twice (the fact keeps its latest version once).
    where
        coalesce(fact_counts.fact_rows, 0) <> 1
        or coalesce(processed_counts.processed_rows, 0) = 0
)

select * from mismatches
