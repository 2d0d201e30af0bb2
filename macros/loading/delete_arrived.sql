{#- Deletes from target every row whose keys match a row of arrived (a table of what a run recomputes), so the
    model or ledger can take the new rows in the same transaction. -#}

{% macro delete_arrived(target, arrived, keys) %}
    delete from {{ target }}
    where exists (
        select 1
        from {{ arrived }} as arrived
        where
            {% for key in keys -%}
                arrived.{{ key }} = {{ target.identifier }}.{{ key }}{% if not loop.last %} and {% endif %}
            {%- endfor %}
    )
{% endmacro %}
