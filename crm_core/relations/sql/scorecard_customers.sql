-- Grain: one row per customer passing the filters who bought in the period ($start, $as_of]:
-- what stands for each term of the value a customer receives (see relations/scorecards.py).
-- Purchases: from customer_days' running totals at $start and $as_of (orders, purchase days,
-- revenue, returns); discounts and categories: the period's lines; service: the period's cases;
-- membership: a loyalty membership open at $as_of; tenure: days since the first purchase.
WITH fc AS (
    SELECT customer_key, customer_id, first_purchase, account_manager FROM ({filtered_customers})
),
fin AS (
    SELECT d.customer_key, d.orders, d.purchase_days, d.revenue, d.returns
    FROM customer_days AS d
    WHERE d.day <= $as_of AND d.next_day > $as_of {key_filter}
),
beg AS (
    SELECT d.customer_key, d.orders, d.purchase_days, d.revenue, d.returns
    FROM customer_days AS d
    WHERE d.day <= $start AND d.next_day > $start {key_filter}
),
lines AS (
    SELECT t.customer_id,
           sum(CAST(coalesce(t.discount, 0) AS DOUBLE)) FILTER (WHERE t.amount > 0)            AS discount,
           sum(CAST(t.amount AS DOUBLE)) FILTER (WHERE t.amount > 0)                          AS sales,
           count(DISTINCT coalesce(t.product_category, p.category)) FILTER (WHERE t.amount > 0) AS categories
    FROM transactions AS t LEFT JOIN products AS p USING (product_id)
    WHERE t.tx_date > $start AND t.tx_date <= $as_of {customer_filter}
    GROUP BY t.customer_id
),
svc AS (
    SELECT customer_id, count(*) AS cases, avg(satisfaction) AS satisfaction,
           avg(date_diff('minute', opened_at, resolved_at) / 60.0)
               FILTER (WHERE CAST(resolved_at AS DATE) <= $as_of)       AS resolution_hours,
           avg(date_diff('minute', opened_at, first_response_at) / 60.0)
               FILTER (WHERE CAST(first_response_at AS DATE) <= $as_of) AS first_response_hours
    FROM service_interactions
    WHERE CAST(opened_at AS DATE) > $start AND CAST(opened_at AS DATE) <= $as_of {customer_filter}
    GROUP BY customer_id
),
mem AS (
    SELECT DISTINCT customer_id FROM loyalty_members
    WHERE enrolled_at <= $as_of AND (left_at IS NULL OR left_at > $as_of) {customer_filter}
)
SELECT fc.customer_key, fc.customer_id,
       fin.orders - coalesce(beg.orders, 0)                  AS orders,
       fin.purchase_days - coalesce(beg.purchase_days, 0)    AS purchase_days,
       fin.revenue - coalesce(beg.revenue, 0)                AS revenue,
       fin.returns - coalesce(beg.returns, 0)                AS returns,
       coalesce(lines.discount, 0)                           AS discount,
       coalesce(lines.sales, 0)                              AS sales,
       coalesce(lines.categories, 0)                         AS categories,
       coalesce(svc.cases, 0)                                AS cases,
       svc.satisfaction, svc.resolution_hours, svc.first_response_hours,
       mem.customer_id IS NOT NULL                           AS member,
       fc.account_manager IS NOT NULL                        AS managed,
       CAST($as_of AS DATE) - fc.first_purchase              AS tenure_days
FROM fc
JOIN fin USING (customer_key)
LEFT JOIN beg USING (customer_key)
LEFT JOIN lines USING (customer_id)
LEFT JOIN svc USING (customer_id)
LEFT JOIN mem USING (customer_id)
WHERE fin.purchase_days > coalesce(beg.purchase_days, 0)
ORDER BY fc.customer_key
