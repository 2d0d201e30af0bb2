{#- Row-count reconciliation: fails when the model and compare_model (each optionally filtered) hold different
    numbers of rows. The failing row shows both counts. -#}
{% test row_count_matches(model, compare_model, model_where=none, compare_where=none) %}
    with

    model_rows as (
        select count(*) as total_rows from {{ model }}
        {% if model_where %}where {{ model_where }}{% endif %}
    ),

    compare_rows as (
        select count(*) as total_rows from {{ compare_model }}
        {% if compare_where %}where {{ compare_where }}{% endif %}
    )

    select
        model_rows.total_rows as model_total_rows,
        compare_rows.total_rows as compare_total_rows
    from model_rows
    cross join compare_rows
    where model_rows.total_rows <> compare_rows.total_rows
{% endtest %}
