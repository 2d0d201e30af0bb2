{#- Loads the processed zone into the processed schema on Redshift, as the design brief's step 6 does:
      dbt run-operation load_processed_zone --target redshift \
        --args '{processed_uri: "s3://bucket/prefix/processed", iam_role: "arn:aws:iam::123456789012:role/RedshiftCopyRole"}'
    Each table is replaced in one transaction (delete + COPY ... FORMAT AS PARQUET), so readers see the old rows or
    the new ones and a re-run loads the same rows. Columns come from the source definitions, in Parquet file order
    (COPY maps Parquet columns by position); `supplychain load` checks the files against the same list.
    With dry_run: true the SQL is printed instead of run; `supplychain load --target redshift --sql-only` writes it
    with no connection at all. On DuckDB and PostgreSQL use `supplychain load`. -#}
{% macro load_processed_zone(processed_uri, iam_role, tables=none, dry_run=false) %}
    {% set statements = supplychain.processed_zone_load_sql(processed_uri, iam_role, tables) %}
    {% for statement in statements %}
        {% if dry_run or not execute %}
            {{ print(statement ~ ';') }}
        {% else %}
            {% do log('load_processed_zone: ' ~ statement.split('\n')[0], info=true) %}
            {% do run_query(statement) %}
        {% endif %}
    {% endfor %}
{% endmacro %}

{% macro processed_zone_load_sql(processed_uri, iam_role, tables=none) %}
    {% set source_schema = env_var('SUPPLYCHAIN_SOURCE_SCHEMA', 'processed') %}
    {% set statements = ['create schema if not exists ' ~ source_schema] %}
    {% for source in graph.sources.values() | sort(attribute='name') %}
        {% set path = source.meta.get('processed_path') %}
        {% if path %}
            {% set relation = source_schema ~ '.' ~ source.identifier %}
            {% set columns = [] %}
            {% for column in source.columns.values() %}
                {% do columns.append(column.name ~ ' ' ~ supplychain.source_column_type(column.data_type)) %}
            {% endfor %}
            {% do statements.append('create table if not exists ' ~ relation ~ ' (\n    ' ~ columns | join(',\n    ') ~ '\n)') %}
            {# One transaction per table: readers see the old rows or the new ones. Tables left out of `tables`
               (optional outputs not produced yet) are created empty. #}
            {% if tables is none or source.name in tables %}
            {% do statements.append('begin') %}
            {% do statements.append('delete from ' ~ relation) %}
            {% do statements.append(
                'copy ' ~ relation
                ~ "\nfrom '" ~ processed_uri.rstrip('/') ~ '/' ~ path ~ "/'"
                ~ "\niam_role '" ~ iam_role ~ "'"
                ~ '\nformat as parquet'
            ) %}
            {% do statements.append('commit') %}
            {% endif %}
        {% endif %}
    {% endfor %}
    {{ return(statements) }}
{% endmacro %}

{#- Redshift's bare varchar is varchar(256); lineage paths and names can be longer. -#}
{% macro source_column_type(data_type) %}
    {{ return(adapter.dispatch('source_column_type', 'supplychain')(data_type)) }}
{% endmacro %}

{% macro default__source_column_type(data_type) %}
    {{ return(data_type) }}
{% endmacro %}

{% macro redshift__source_column_type(data_type) %}
    {{ return('varchar(1024)' if data_type == 'varchar' else data_type) }}
{% endmacro %}
