-- Grain: one row: the counts the CRM readiness scorecard is computed from, over the whole
-- database up to $as_of (readiness is the company's, so the customer filters do not apply).
-- Guest rows: transaction rows set aside at upload because they named no customer.
SELECT
    (SELECT count(*) FROM transactions WHERE tx_date <= $as_of)                                   AS lines,
    (SELECT count(*) FROM ingest_quarantine AS q JOIN ingest_log AS l USING (ingest_id)
      WHERE l.kind = 'transactions' AND l.status = 'loaded'
        AND list_contains(CAST(q.problems AS VARCHAR[]), 'customer_id:guest'))                    AS guest_lines,
    (SELECT count(*) FROM customers)                                                              AS customers,
    (SELECT count(*) FROM customers WHERE email IS NOT NULL OR phone IS NOT NULL)                 AS reachable,
    (SELECT count(*) FROM customers WHERE name IS NOT NULL)                                       AS named,
    (SELECT count(*) FROM customers WHERE first_purchase <= $as_of)                               AS buyers,
    (SELECT count(*) FROM (SELECT customer_key FROM customer_days WHERE day <= $as_of
                           GROUP BY customer_key HAVING max(purchase_days) >= 2))                 AS repeat_buyers,
    (SELECT date_diff('month', min(tx_date), max(tx_date)) + 1 FROM transactions
      WHERE tx_date <= $as_of)                                                                    AS history_months,
    (SELECT (count(region) + count(acquisition_channel) + count(customer_type) + count(industry)
             + count(signup_date)) / 5.0 FROM customers)                                          AS attribute_cells,
    (SELECT count(*) FROM {category_lines} AS t WHERE t.tx_date <= $as_of)                       AS categorised_lines,
    (SELECT count(*) FROM transactions WHERE tx_date <= $as_of AND cost IS NOT NULL)              AS costed_lines,
    (SELECT count(DISTINCT customer_id) FROM campaign_contacts AS c JOIN campaigns AS k USING (campaign_id)
      WHERE coalesce(c.contacted_at, k.start_date) BETWEEN CAST($as_of AS DATE) - 365 AND $as_of) AS contacted_year,
    (SELECT count(*) FROM campaigns WHERE start_date IS NULL OR start_date <= $as_of)             AS campaigns,
    (SELECT count(DISTINCT campaign_id) FROM campaign_contacts WHERE is_control)                 AS campaigns_with_control,
    (SELECT count(*) FROM service_interactions WHERE CAST(opened_at AS DATE) <= $as_of)           AS cases,
    (SELECT count(satisfaction) FROM service_interactions WHERE CAST(opened_at AS DATE) <= $as_of) AS rated_cases,
    (SELECT count(DISTINCT customer_key) FROM customer_days
      WHERE day > CAST($as_of AS DATE) - 365 AND day <= $as_of)                                   AS active_year,
    (SELECT count(DISTINCT m.customer_id) FROM loyalty_members AS m
      WHERE m.enrolled_at <= $as_of AND (m.left_at IS NULL OR m.left_at > $as_of))                AS members,
    (SELECT count(*) FROM loyalty_programs)                                                       AS programs,
    (SELECT count(*) FROM customers WHERE account_manager IS NOT NULL)                            AS managed,
    (SELECT count(*) FROM customers WHERE customer_type IS NOT NULL
                                      AND lower(customer_type) NOT IN ('consumer', 'individual', 'b2c')) AS business
