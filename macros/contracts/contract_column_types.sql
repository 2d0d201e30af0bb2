{#- Redshift reads a bare `varchar` as varchar(256), while processed/ loads text as varchar(1024)
    (source_column_type): an enforced contract's `varchar` column would refuse the longer product names, addresses
    and messages its own sources hold. The column types of a contracted table go through the same translation as
    the sources', here and not in each model's YAML, so the YAML keeps one portable spelling. -#}
{% macro contract_columns(columns) %}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = {} -%}
        {%- do copy.update(column) -%}
        {%- if column.get('data_type') -%}
            {%- do copy.update({'data_type': supplychain.source_column_type(column['data_type'] | trim | lower)}) -%}
        {%- endif -%}
        {%- do translated.update({name: copy}) -%}
    {%- endfor -%}
    {{ return(translated) }}
{% endmacro %}

{#- dbt's own table_columns_and_constraints, with the contract's types translated for Redshift. -#}
{% macro redshift__get_table_columns_and_constraints() %}
    {%- set raw_column_constraints = adapter.render_raw_columns_constraints(
        raw_columns=supplychain.contract_columns(model['columns'])
    ) -%}
    {%- set raw_model_constraints = adapter.render_raw_model_constraints(raw_constraints=model['constraints']) -%}
    (
    {% for c in raw_column_constraints -%}
      {{ c }}{{ "," if not loop.last or raw_model_constraints }}
    {% endfor %}
    {% for c in raw_model_constraints -%}
        {{ c }}{{ "," if not loop.last }}
    {% endfor -%}
    )
{% endmacro %}
