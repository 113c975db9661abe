-- Grain: one row per calendar month from $since to $as_of (inclusive), filtered
-- customers. active_customers = distinct buyers in the month. Whole months come from
-- customer_months (a buyer is a row with orders > 0); the month of $as_of, cut at
-- $as_of, from the running totals of customer_days (no transaction is read).
WITH fc AS (
    {filtered_customers}
),
months AS (
    SELECT CAST(m AS DATE) AS month
    FROM range(date_trunc('month', CAST($since AS DATE)), CAST($as_of AS DATE) + 1, INTERVAL 1 MONTH) r(m)
),
agg AS (
    SELECT month,
           sum(revenue) AS revenue,
           sum(gross_profit) AS gross_profit,
           count(*) FILTER (WHERE orders > 0) AS active_customers,
           CAST(sum(orders) AS BIGINT) AS orders
    FROM customer_months
    WHERE month >= date_trunc('month', CAST($since AS DATE)) AND month < date_trunc('month', CAST($as_of AS DATE))
          {key_filter}
    GROUP BY month
    UNION ALL
    -- The month of $as_of, cut at $as_of: each customer's running totals at $as_of less those on
    -- the day before the month ($month_before), read in one scan of the customer_days rows valid on either
    -- day (the recent end of the layer: its next_day order skips the rest). A row valid on both
    -- days (no transaction in the month) adds nothing and is left out, so a month without
    -- purchases sums to exactly 0. A buyer is a customer whose last purchase at $as_of falls in
    -- the month: a day with orders > 0, as in customer_months.
    SELECT CAST(date_trunc('month', CAST($as_of AS DATE)) AS DATE) AS month,
           coalesce(sum(CASE WHEN next_day > CAST($as_of AS DATE) THEN revenue ELSE -revenue END), 0) AS revenue,
           coalesce(sum(CASE WHEN next_day > CAST($as_of AS DATE) THEN gross_profit ELSE -gross_profit END), 0)
             AS gross_profit,
           count(*) FILTER (WHERE next_day > CAST($as_of AS DATE) AND last_purchase > CAST($month_before AS DATE)) AS active_customers,
           CAST(coalesce(sum(CASE WHEN next_day > CAST($as_of AS DATE) THEN orders ELSE -orders END), 0) AS BIGINT)
             AS orders
    FROM customer_days
    WHERE next_day > CAST($month_before AS DATE) AND day <= CAST($as_of AS DATE)
      AND (day > CAST($month_before AS DATE)) = (next_day > CAST($as_of AS DATE)) {key_filter}
)
SELECT months.month, coalesce(revenue, 0) AS revenue, coalesce(gross_profit, 0) AS gross_profit,
       coalesce(active_customers, 0) AS active_customers, coalesce(orders, 0) AS orders
FROM months LEFT JOIN agg USING (month)
ORDER BY months.month
