-- A column name holds text in every mart or in none: `transfers` counted moves in one mart and named a rule in
-- another. Numeric widths may differ (an integer sum is a bigint); text against a number or a date may not.
with

mart_columns as (
    select
        lower(table_name) as table_name,
        lower(column_name) as column_name,
        lower(data_type) like '%char%' or lower(data_type) = 'text' as is_text
    from information_schema.columns
    where lower(table_schema) = lower('{{ ref("policy_simulation").schema }}')
),

kinds_per_name as (
    select
        column_name,
        count(distinct is_text) as kinds,
        min(table_name) as first_table,
        max(table_name) as last_table
    from mart_columns
    group by column_name
)

select * from kinds_per_name
where kinds > 1
