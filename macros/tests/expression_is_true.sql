{#- Fails on every row where the SQL expression is false (nulls count as false: a rule must be decidable). -#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
