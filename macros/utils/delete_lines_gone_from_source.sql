{#- Post-hook for incremental models merged on arrival: removes the rows whose key the source no longer holds (a
    drop rewritten without a line, a line moved to quarantine), so an incremental run ends with the rows a full
    rebuild would give. -#}
{% macro delete_lines_gone_from_source(key, source_relation) %}
    delete from {{ this }}
    where {{ key }} not in (select current_lines.{{ key }} from {{ source_relation }} as current_lines)
{% endmacro %}
