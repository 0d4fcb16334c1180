-- The floor: one hand-written DuckDB query that computes the default
-- ('balanced') profile's scores and tiers straight from the raw Parquet
-- files, with the same rules as the dbt project (cleaning, quarantine,
-- duplicates, identity matching, metrics, normalisation, weight hand-over,
-- tiers) but no intermediate tables, no tests and no bookkeeping (no
-- quarantine table, no reconciliation, no per-metric columns). It is what
-- this engine needs at least for the same answer; scripts/benchmark.py
-- times it against the dbt build. Placeholders in braces are filled in by
-- scripts/benchmark.py: {data_dir}, {seeds_dir}, {min_valid_date},
-- {max_amount}, {max_line_quantity}, {window_days}. No half-life.

create or replace temp macro clean_text(x) as (
    case
        when lower(regexp_replace(x, '^[\s\p{{Z}}]+|[\s\p{{Z}}]+$', '', 'g'))
            in ('', 'null', 'none') then null
        else regexp_replace(x, '^[\s\p{{Z}}]+|[\s\p{{Z}}]+$', '', 'g')
    end
);
create or replace temp macro clean_id(x) as (
    regexp_replace(clean_text(x), '^([0-9]+)\.0+$', '\1', 'g')
);
create or replace temp macro to_utc(x) as (
    timezone('UTC', try_cast(clean_text(x) as timestamptz))
);
create or replace temp macro valid_time(t) as (
    t >= timestamp '{min_valid_date} 00:00:00' and t <= current_timestamp
);
create or replace temp macro to_double(x) as (
    case when try_cast(clean_text(x) as double) between -1e300 and 1e300
        then try_cast(clean_text(x) as double) end
);
create or replace temp macro to_int(x) as (
    case when regexp_matches(clean_text(x), '^[+-]?[0-9]+(\.0+)?$')
        then try_cast(clean_text(x) as integer) end
);
create or replace temp macro email(x) as (
    case
        when regexp_matches(
            regexp_replace(lower(clean_text(x)), '\s', '', 'g'), '^[^@]+@[^@]+\.[^@]+$'
        ) then regexp_replace(lower(clean_text(x)), '\s', '', 'g')
    end
);
create or replace temp macro phone(x) as (
    case
        when length(regexp_replace(clean_text(x), '[^0-9]', '', 'g')) < 7 then null
        when clean_text(x) like '+%' then '+' || regexp_replace(clean_text(x), '[^0-9]', '', 'g')
        when regexp_replace(clean_text(x), '[^0-9]', '', 'g') like '00%'
            then '+' || substr(regexp_replace(clean_text(x), '[^0-9]', '', 'g'), 3)
        else regexp_replace(clean_text(x), '[^0-9]', '', 'g')
    end
);
create or replace temp macro handle(x) as (
    regexp_replace(lower(clean_text(x)), '^@+', '', 'g')
);

with

rates as (
    select currency_code, cast(eur_per_unit as double) as eur_per_unit
    from read_csv('{seeds_dir}/currency_rates.csv', all_varchar = true)
),

non_merchandise as (
    select upper(product_id) as product_id
    from read_csv('{seeds_dir}/non_merchandise_products.csv', all_varchar = true)
),

-- Customers: the latest record per customer_id, ties broken by the raw text.
raw_customers as (
    select
        *,
        cast(to_json(struct_pack(
            customer_id, first_name, last_name, email, phone, birth_date, country,
            postcode, shop_account_id, social_handle, created_at, updated_at
        )) as varchar) as raw_record
    from read_parquet('{data_dir}/crm__customers.parquet')
),

customers as (
    select
        clean_id(customer_id) as customer_id,
        case when to_utc(created_at) <= current_timestamp then to_utc(created_at) end
            as created_at,
        clean_id(shop_account_id) as shop_account_id,
        email(email) as email,
        phone(phone) as phone,
        handle(social_handle) as social_handle
    from raw_customers
    where clean_id(customer_id) is not null
    qualify row_number() over (
        partition by clean_id(customer_id)
        order by
            coalesce(
                case when to_utc(updated_at) <= current_timestamp then to_utc(updated_at) end,
                case when to_utc(created_at) <= current_timestamp then to_utc(created_at) end
            ) desc nulls last,
            raw_record
    ) = 1
),

keys as (
    select key_type, key_value, min(customer_id) as customer_id
    from (
        select 'customer_id' as key_type, customer_id as key_value, customer_id from customers
        union all select 'shop_account', shop_account_id, customer_id from customers
        union all select 'email', email, customer_id from customers
        union all select 'phone', phone, customer_id from customers
        union all select 'social_handle', social_handle, customer_id from customers
    )
    where key_value is not null
    group by key_type, key_value
    having count(distinct customer_id) = 1
),

-- Events: valid rows, one per key (latest first, then the raw text).
interactions as (
    select
        clean_id(interaction_id) as interaction_id,
        clean_id(customer_id) as customer_id,
        to_utc(occurred_at) as event_at,
        cast(to_json(struct_pack(
            interaction_id, customer_id, channel, direction, occurred_at, sales_rep_id
        )) as varchar) as raw_record
    from read_parquet('{data_dir}/crm__interactions.parquet')
    where clean_id(interaction_id) is not null
        and clean_id(customer_id) is not null
        and valid_time(to_utc(occurred_at))
        and lower(clean_text(channel)) in ('call', 'email', 'chat', 'visit')
    qualify row_number() over (
        partition by interaction_id order by event_at desc, raw_record
    ) = 1
),

orders_raw as (
    select
        clean_id(order_id) as order_id,
        clean_id(shop_account_id) as shop_account_id,
        email(customer_email) as customer_email,
        lower(clean_text(status)) as status,
        to_utc(ordered_at) as ordered_at,
        upper(clean_text(currency)) as currency_code,
        to_double(order_total) as order_total,
        cast(try_cast(clean_text(order_total) as decimal(18, 2)) as double)
            as order_total_decimal,
        clean_text(order_total) is not null and to_double(order_total) is null
            as is_total_unparseable,
        cast(to_json(struct_pack(
            order_id, shop_account_id, customer_email, status, ordered_at, currency,
            order_total
        )) as varchar) as raw_record
    from read_parquet('{data_dir}/shop__orders.parquet')
),

orders_checked as (
    select
        orders_raw.*,
        -- A check on a missing value is no fault: NULL means none failed.
        coalesce(orders_raw.order_id is null
        or not coalesce(valid_time(orders_raw.ordered_at), false)
        or orders_raw.status is null
        or orders_raw.status not in ('completed', 'cancelled', 'returned')
        or rates.currency_code is null
        or orders_raw.is_total_unparseable
        or orders_raw.order_total < 0
        or orders_raw.order_total > {max_amount}
        or (orders_raw.shop_account_id is null and orders_raw.customer_email is null), false)
            as is_quarantined
    from orders_raw
    left join rates on orders_raw.currency_code = rates.currency_code
),

orders as (
    select *
    from orders_checked
    where not is_quarantined
    qualify row_number() over (
        partition by order_id
        order by
            ordered_at desc,
            case status when 'returned' then 1 when 'cancelled' then 2 else 3 end,
            raw_record
    ) = 1
),

order_state as (
    select
        order_id,
        max(case when not is_quarantined then 1 else 0 end) = 1 as has_valid_row,
        max(case when is_quarantined then 1 else 0 end) = 1 as has_quarantined_row
    from orders_checked
    where order_id is not null
    group by order_id
),

lines_raw as (
    select
        clean_id(order_id) as order_id,
        to_int(line_number) as line_number,
        upper(clean_id(product_id)) as product_id,
        to_int(quantity) as quantity,
        to_double(unit_price) as unit_price_value,
        cast(try_cast(clean_text(unit_price) as decimal(18, 4)) as double) as unit_price,
        cast(to_json(struct_pack(order_id, product_id, quantity, unit_price)) as varchar)
            as line_content,
        cast(to_json(struct_pack(order_id, line_number, product_id, quantity, unit_price))
            as varchar) as raw_record
    from read_parquet('{data_dir}/shop__order_lines.parquet')
),

lines as (
    -- A valid line of an order that has a kept row; the same content twice
    -- in an order counts once, and one line per (order, line number).
    select
        lines_raw.order_id,
        lines_raw.line_number,
        lines_raw.quantity,
        lines_raw.unit_price,
        lines_raw.raw_record
    from lines_raw
    inner join order_state on lines_raw.order_id = order_state.order_id
    left join orders on lines_raw.order_id = orders.order_id
    where lines_raw.line_number is not null
        and (order_state.has_valid_row or not order_state.has_quarantined_row)
        and lines_raw.product_id is not null
        and lines_raw.product_id not in (select product_id from non_merchandise)
        and lines_raw.quantity is not null
        and lines_raw.unit_price_value is not null
        and lines_raw.quantity <> 0
        and (lines_raw.quantity > 0 or orders.status = 'cancelled')
        and abs(lines_raw.quantity) <= {max_line_quantity}
        and lines_raw.unit_price_value > 0
        and lines_raw.unit_price_value <= {max_amount}
    qualify row_number() over (
        partition by lines_raw.line_content
        order by lines_raw.line_number, lines_raw.raw_record
    ) = 1
),

lines_kept as (
    select *
    from lines
    qualify row_number() over (
        partition by order_id, line_number order by raw_record
    ) = 1
),

priced_orders as (
    select
        orders.order_id,
        orders.status,
        orders.ordered_at as event_at,
        coalesce(
            orders.order_total_decimal,
            line_totals.lines_total,
            0
        ) * rates.eur_per_unit as amount,
        coalesce(by_account.customer_id, by_email.customer_id) as customer_id
    from orders
    left join (
        select order_id, sum(cast(quantity as double) * unit_price) as lines_total
        from lines_kept group by order_id
    ) as line_totals on orders.order_id = line_totals.order_id
    inner join rates on orders.currency_code = rates.currency_code
    left join keys as by_account
        on by_account.key_type = 'shop_account' and by_account.key_value = orders.shop_account_id
    left join keys as by_email
        on by_email.key_type = 'email' and by_email.key_value = orders.customer_email
),

views as (
    select
        clean_id(shop_account_id) as shop_account_id,
        to_utc(viewed_at) as event_at,
        clean_id(view_id) as view_id,
        cast(to_json(struct_pack(
            view_id, shop_account_id, session_id, product_id, viewed_at
        )) as varchar) as raw_record
    from read_parquet('{data_dir}/shop__product_views.parquet')
    where clean_id(view_id) is not null
        and clean_id(product_id) is not null
        and valid_time(to_utc(viewed_at))
        and (clean_id(shop_account_id) is not null or clean_id(session_id) is not null)
    qualify row_number() over (partition by view_id order by event_at desc, raw_record) = 1
),

engagements as (
    select
        handle(social_handle) as social_handle,
        to_utc(occurred_at) as event_at,
        clean_id(engagement_id) as engagement_id,
        cast(to_json(struct_pack(
            engagement_id, platform, social_handle, engagement_type, occurred_at
        )) as varchar) as raw_record
    from read_parquet('{data_dir}/social__engagements.parquet')
    where clean_id(engagement_id) is not null
        and handle(social_handle) is not null
        and valid_time(to_utc(occurred_at))
        and lower(clean_text(engagement_type)) in ('like', 'comment', 'share', 'mention')
    qualify row_number() over (
        partition by engagement_id order by event_at desc, raw_record
    ) = 1
),

feedback as (
    select
        clean_id(customer_id) as given_customer_id,
        email(email) as email,
        phone(phone) as phone,
        to_double(rating) as rating,
        to_utc(submitted_at) as event_at,
        clean_id(feedback_id) as feedback_id,
        cast(to_json(struct_pack(
            feedback_id, customer_id, email, phone, feedback_type, product_id, rating,
            body, submitted_at
        )) as varchar) as raw_record
    from read_parquet('{data_dir}/feedback__responses.parquet')
    where clean_id(feedback_id) is not null
        and valid_time(to_utc(submitted_at))
        and lower(clean_text(feedback_type)) in ('review', 'rating', 'survey')
        and not (clean_text(rating) is not null and to_double(rating) is null)
        and coalesce(to_double(rating) between 1 and 5, true)
        and (clean_id(customer_id) is not null or email(email) is not null
            or phone(phone) is not null)
    qualify row_number() over (
        partition by feedback_id order by event_at desc, raw_record
    ) = 1
),

-- Every kept event, matched to its customer.
events as (
    select customer_id, event_at, 'order' as kind, status, amount, null as rating
    from priced_orders
    union all
    select keys.customer_id, interactions.event_at, 'interaction', null, null, null
    from interactions
    left join keys
        on keys.key_type = 'customer_id' and keys.key_value = interactions.customer_id
    union all
    select keys.customer_id, views.event_at, 'view', null, null, null
    from views
    left join keys
        on keys.key_type = 'shop_account' and keys.key_value = views.shop_account_id
    union all
    select keys.customer_id, engagements.event_at, 'engagement', null, null, null
    from engagements
    left join keys
        on keys.key_type = 'social_handle' and keys.key_value = engagements.social_handle
    union all
    select
        coalesce(by_id.customer_id, by_email.customer_id, by_phone.customer_id),
        feedback.event_at, 'feedback', null, null, feedback.rating
    from feedback
    left join keys as by_id
        on by_id.key_type = 'customer_id' and by_id.key_value = feedback.given_customer_id
    left join keys as by_email
        on by_email.key_type = 'email' and by_email.key_value = feedback.email
    left join keys as by_phone
        on by_phone.key_type = 'phone' and by_phone.key_value = feedback.phone
),

as_of as (
    select
        max(cast(event_at as date)) as as_of_date,
        max(cast(event_at as date)) - ({window_days} - 1) as window_start
    from events
),

metrics as (
    select
        events.customer_id,
        min(events.event_at) as first_activity_at,
        count(*) filter (
            where kind = 'order' and status = 'completed'
            and cast(event_at as date) >= window_start
        ) as purchase_frequency,
        coalesce(sum(amount) filter (
            where kind = 'order' and status = 'completed'
            and cast(event_at as date) >= window_start
        ), 0) as total_spend,
        max(cast(event_at as date)) filter (where kind = 'order' and status = 'completed')
            as last_order_date,
        count(*) filter (where kind = 'interaction' and cast(event_at as date) >= window_start)
            as interaction_count,
        count(*) filter (where kind = 'view' and cast(event_at as date) >= window_start)
            as product_views,
        avg(rating) filter (where kind = 'feedback' and cast(event_at as date) >= window_start)
            as average_rating,
        count(*) filter (where kind = 'feedback' and cast(event_at as date) >= window_start)
            as review_count,
        count(*) filter (where kind = 'engagement' and cast(event_at as date) >= window_start)
            as social_engagement
    from events
    cross join as_of
    where events.customer_id is not null
    group by events.customer_id
),

scored_customers as (
    select
        customers.customer_id,
        cast(coalesce(metrics.purchase_frequency, 0) as double) as purchase_frequency,
        round(coalesce(metrics.total_spend, 0), 6) as total_spend,
        round(metrics.total_spend / nullif(metrics.purchase_frequency, 0), 6)
            as average_order_value,
        cast(as_of.as_of_date - metrics.last_order_date as double) as recency_days,
        cast(coalesce(metrics.interaction_count, 0) as double) as interaction_count,
        cast(coalesce(metrics.product_views, 0) as double) as product_views,
        round(metrics.average_rating, 6) as average_rating,
        cast(coalesce(metrics.review_count, 0) as double) as review_count,
        cast(coalesce(metrics.social_engagement, 0) as double) as social_engagement
    from customers
    cross join as_of
    left join metrics on customers.customer_id = metrics.customer_id
    where customers.created_at is null
        or cast(customers.created_at as date) <= as_of.as_of_date
        or cast(metrics.first_activity_at as date) <= as_of.as_of_date
),

weights as (
    select
        metric_name,
        normalisation,
        direction,
        cast(value_if_missing as double) as value_if_missing,
        cast(weight as double) / sum(cast(weight as double)) over () as weight_share
    from read_csv('{seeds_dir}/scoring_weights.csv', all_varchar = true)
    where scoring_profile = 'balanced'
),

long_values as (
    unpivot scored_customers
    on purchase_frequency, total_spend, average_order_value, recency_days,
        interaction_count, product_views, average_rating, review_count, social_engagement
    into name metric_name value metric_value
),

all_values as (
    -- unpivot drops NULLs; missing values come back as NULL rows.
    select customers_metrics.customer_id, weights.metric_name, long_values.metric_value
    from (select customer_id from scored_customers) as customers_metrics
    cross join weights
    left join long_values
        on customers_metrics.customer_id = long_values.customer_id
        and weights.metric_name = long_values.metric_name
),

stats as (
    select
        metric_name,
        count(metric_value) as value_count,
        min(metric_value) as min_value,
        max(metric_value) as max_value,
        ln(1 + greatest(min(metric_value), 0)) as log_min,
        ln(1 + greatest(quantile_cont(metric_value, 0.99), 0)) as log_cap
    from all_values
    group by metric_name
),

normalised as (
    select
        all_values.customer_id,
        all_values.metric_name,
        weights.weight_share,
        case
            when all_values.metric_value is null then weights.value_if_missing
            else (case when weights.direction = 'lower_is_better' then -1 else 1 end) * (
                least(greatest(case
                    when stats.value_count <= 1 or stats.max_value = stats.min_value then 0.5
                    when weights.normalisation = 'rank'
                        then (rank() over (
                            partition by all_values.metric_name, all_values.metric_value is null
                            order by all_values.metric_value
                        ) - 1) * 1.0 / (stats.value_count - 1)
                    when weights.normalisation = 'minmax'
                        then (all_values.metric_value - stats.min_value)
                            / (stats.max_value - stats.min_value)
                    when stats.log_cap = stats.log_min then 0.5
                    else (least(ln(1 + greatest(all_values.metric_value, 0)), stats.log_cap)
                        - stats.log_min) / (stats.log_cap - stats.log_min)
                end, 0.0), 1.0)
            ) + (case when weights.direction = 'lower_is_better' then 1 else 0 end)
        end as normalised_value
    from all_values
    inner join weights on all_values.metric_name = weights.metric_name
    inner join stats on all_values.metric_name = stats.metric_name
),

informative as (
    select
        metric_name,
        max(normalised_value) > min(normalised_value) as is_informative
    from normalised
    group by metric_name
),

shares as (
    select
        weights.metric_name,
        case
            when sum(case when informative.is_informative then weights.weight_share else 0 end)
                over () = 0 then weights.weight_share
            when informative.is_informative
                then weights.weight_share / sum(
                    case when informative.is_informative then weights.weight_share else 0 end
                ) over ()
            else 0
        end as effective_weight
    from weights
    inner join informative on weights.metric_name = informative.metric_name
),

scores as (
    select
        normalised.customer_id,
        round(least(greatest(sum(100 * normalised.normalised_value * shares.effective_weight), 0), 100), 4)
            as score
    from normalised
    inner join shares on normalised.metric_name = shares.metric_name
    group by normalised.customer_id
),

tiers as (
    select
        tier_name,
        cast(lower_bound as double) as lower_bound,
        cast(upper_bound as double) as upper_bound
    from read_csv('{seeds_dir}/score_tiers.csv', all_varchar = true)
)

select
    scores.customer_id,
    scores.score,
    tiers.tier_name as tier
from scores
left join tiers
    on scores.score >= tiers.lower_bound
    and (scores.score < tiers.upper_bound or tiers.upper_bound = 100)
order by scores.customer_id
