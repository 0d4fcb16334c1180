{% macro cbs_stitch_to_customers(relation, columns, keys) -%}
    {#- Select `columns` of `relation` plus the CRM `customer_id` it belongs
        to and `match_method`, trying `keys` in order.

        relation: the activity model or CTE to stitch.
        columns:  columns of the activity to keep (list of names; must not
                  include customer_id).
        keys:     list of [key_type, column] pairs in priority order, where
                  key_type is one of the types in int_customer_keys
                  (customer_id, shop_account, email, phone, social_handle).

        match_method is the key type that matched, 'ambiguous' when the
        only keys present belong to several customers, 'unmatched' when
        keys were present but none is known, and 'no_key' when the row has
        none of the keys. -#}
    {%- set key_types = ['customer_id', 'shop_account', 'email', 'phone', 'social_handle'] -%}
    {%- for key in keys -%}
        {%- if key[0] not in key_types -%}
            {{ exceptions.raise_compiler_error(
                "cbs_stitch_to_customers: unknown key type '" ~ key[0]
                ~ "'; allowed: " ~ key_types | join(", ")) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if 'customer_id' in columns -%}
        {{ exceptions.raise_compiler_error(
            "cbs_stitch_to_customers: columns must not include customer_id; "
            ~ "pass it as a key instead") }}
    {%- endif -%}
    select
        {%- for column in columns %}
        activity.{{ column }},
        {%- endfor %}
        coalesce(
            {%- for key in keys %}
            key_{{ loop.index }}.customer_id{{ "," if not loop.last }}
            {%- endfor %}
        ) as customer_id,
        case
            {%- for key in keys %}
            when key_{{ loop.index }}.customer_id is not null then '{{ key[0] }}'
            {%- endfor %}
            {%- for key in keys %}
            when key_{{ loop.index }}.is_ambiguous then 'ambiguous'
            {%- endfor %}
            when {% for key in keys %}activity.{{ key[1] }} is null{{ " and " if not loop.last }}{% endfor %}
                then 'no_key'
            else 'unmatched'
        end as match_method
    from {{ relation }} as activity
    {%- for key in keys %}
    left join {{ ref('int_customer_keys') }} as key_{{ loop.index }}
        on key_{{ loop.index }}.key_type = '{{ key[0] }}'
        and key_{{ loop.index }}.key_value = activity.{{ key[1] }}
    {%- endfor %}
{%- endmacro %}
