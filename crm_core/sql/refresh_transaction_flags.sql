-- A purchase is a row with amount >= 0 (a zero-priced item is still bought); < 0 is a return.
-- Recompute first_of_day / first_of_month for transactions from the month of $since on
-- (whole months, so a month's first purchase is judged against all of that month).
UPDATE transactions AS t
SET first_of_day = f.fod, first_of_month = f.fom
FROM (
    SELECT rowid AS rid,
           amount >= 0 AND row_number() OVER (PARTITION BY customer_id, tx_date, amount >= 0 ORDER BY rowid) = 1 AS fod,
           amount >= 0 AND row_number() OVER (PARTITION BY customer_id, date_trunc('month', tx_date), amount >= 0
                                             ORDER BY tx_date, rowid) = 1 AS fom
    FROM transactions
    WHERE tx_date >= date_trunc('month', CAST($since AS DATE))
) AS f
WHERE t.rowid = f.rid
