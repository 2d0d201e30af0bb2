{#- dbt-redshift's own describe macro (1.11), with one fix: svv_table_info has no row for an empty table, so for a
    materialized view that holds no rows yet the adapter's changeset read an empty row and failed the build (known
    upstream, unfixed in 1.11). Then the name and auto refresh come from svv_mv_info alone; dist and sort stay
    unknown, which reads as a configuration change and rebuilds the (empty) view. The three queries stay separate:
    Redshift refuses to join these system views with pg_views in one query. -#}
{% macro redshift__describe_materialized_view(relation) %}
    {%- set _materialized_view_sql -%}
        select
            tb.database,
            tb.schema,
            tb.table,
            tb.diststyle,
            tb.sortkey1,
            mv.autorefresh
        from svv_table_info tb
        left join svv_mv_info mv
            on mv.database_name = tb.database
            and mv.schema_name = tb.schema
            and mv.name = tb.table
        where tb.table ilike '{{ relation.identifier }}'
        and tb.schema ilike '{{ relation.schema }}'
        and tb.database ilike '{{ relation.database }}'
    {%- endset %}
    {% set _materialized_view = run_query(_materialized_view_sql) %}
    {% if _materialized_view.rows | length == 0 %}
        {% set _materialized_view = run_query(supplychain.empty_materialized_view_sql(relation)) %}
    {% endif %}

    {%- set _column_descriptor_sql -%}
        select
            a.attname as column,
            a.attisdistkey as is_dist_key,
            a.attsortkeyord as sort_key_position
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid
        where
            n.nspname ilike '{{ relation.schema }}'
            and c.relname like 'mv_tbl__{{ relation.identifier }}__%'
    {%- endset %}
    {% set _column_descriptor = run_query(_column_descriptor_sql) %}

    {%- set _query_sql -%}
        select
            vw.definition
        from pg_views vw
        where vw.viewname = '{{ relation.identifier }}'
        and vw.schemaname = '{{ relation.schema }}'
        and vw.definition ilike '%create materialized view%'
    {%- endset %}
    {% set _query = run_query(_query_sql) %}

    {% do return({
       'materialized_view': _materialized_view,
       'query': _query,
       'columns': _column_descriptor,
    }) %}
{% endmacro %}

{#- The describe row for a materialized view svv_table_info does not list (it holds no rows). -#}
{% macro empty_materialized_view_sql(relation) %}
    select
        mv.database_name as "database",
        mv.schema_name as "schema",
        mv.name as "table",
        cast(null as varchar) as diststyle,
        cast(null as varchar) as sortkey1,
        mv.autorefresh as autorefresh
    from svv_mv_info mv
    where mv.name ilike '{{ relation.identifier }}'
    and mv.schema_name ilike '{{ relation.schema }}'
    and mv.database_name ilike '{{ relation.database }}'
{% endmacro %}
