{#- Fails on every row where the column is below zero. Nulls pass; pair with not_null where they must not occur. -#}
{% test non_negative(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < 0
{% endtest %}
