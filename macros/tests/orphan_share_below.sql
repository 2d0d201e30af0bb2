{#- Fails (one row: the counts) when more than max_share of the model's non-null keys have no parent in `to`.
    A share, not a count: orphans grow with the data, and a fixed cap that held on the sample broke at 1M lines. -#}
{% test orphan_share_below(model, column_name, to, field, max_share) %}
    with children as (
        select {{ column_name }} as child_key
        from {{ model }}
        where {{ column_name }} is not null
    ),

    parents as (
        select distinct {{ field }} as parent_key
        from {{ to }}
    ),

    counted as (
        select
            count(*) as child_rows,
            sum(case when parents.parent_key is null then 1 else 0 end) as orphan_rows
        from children
        left join parents on children.child_key = parents.parent_key
    )

    select
        orphan_rows,
        child_rows
    from counted
    where orphan_rows > {{ max_share }} * child_rows
{% endtest %}
