{#- `dbt source freshness` compares each source's latest loaded_at with a clock. dbt's own clock is the
    warehouse's current_timestamp, right for a scheduled run on live feeds but not for drops replayed later (the
    generated sample ends on a fixed day): with var / env SUPPLYCHAIN_FRESHNESS_CLOCK = latest_drop, the clock is
    the newest record landed in any daily feed, so a feed that falls behind the others still fails. A timestamp
    ('2025-12-31 23:59:59') pins the clock. These override dbt's global macros of the same names. -#}
{% macro collect_freshness(source, loaded_at_field, filter) %}
    {% call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
        select
            max({{ loaded_at_field }}) as max_loaded_at,
            {{ supplychain.freshness_clock(source) }} as snapshotted_at
        from {{ source }}
        {% if filter %}
            where {{ filter }}
        {% endif %}
    {%- endcall %}
    {{ return(load_result('collect_freshness')) }}
{% endmacro %}

{% macro collect_freshness_custom_sql(source, loaded_at_query) %}
    {% call statement('collect_freshness_custom_sql', fetch_result=True, auto_begin=False) -%}
        with source_query as (
            {{ loaded_at_query }}
        )

        select
            (select * from source_query) as max_loaded_at,
            {{ supplychain.freshness_clock(source) }} as snapshotted_at
    {%- endcall %}
    {{ return(load_result('collect_freshness_custom_sql')) }}
{% endmacro %}

{#- The clock as a SQL expression: now, the latest landed drop of the daily feeds (read beside the checked
    source, in the same schema), or a fixed timestamp. -#}
{% macro freshness_clock(source) %}
    {%- set clock = var('freshness_clock', env_var('SUPPLYCHAIN_FRESHNESS_CLOCK', 'now')) -%}
    {%- if clock == 'now' -%}
        {{ dbt.current_timestamp() }}
    {%- elif clock == 'latest_drop' -%}
        {%- set feeds = [('sales', 'updated_at'), ('shipments', 'updated_at'), ('inventory', 'extracted_at'),
                         ('order_events', 'event_at')] -%}
        (
            select max(landed_at) from (
                {%- for table, column in feeds %}
                    select max({{ column }}) as landed_at from {{ source.incorporate(path={'identifier': table}) }}
                    {% if not loop.last %}union all{% endif %}
                {%- endfor %}
            ) as daily_feeds
        )
    {%- else -%}
        cast('{{ clock }}' as timestamp)
    {%- endif -%}
{% endmacro %}
