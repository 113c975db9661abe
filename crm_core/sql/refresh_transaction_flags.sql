-- A purchase is a row with amount >= 0 (a zero-priced item is still bought); < 0 is a return.
-- Recompute first_of_day / first_of_month for transactions from the month of $since on
-- (whole months, so a month's first purchase is judged against all of that month).
--   first_of_day   : the purchase row with the smallest rowid of its (customer, day)
--   first_of_month : the purchase row with the smallest (date, rowid) of its (customer, month)
-- A plain UPDATE with semi-joins: ~30x faster in DuckDB than UPDATE ... FROM a window query.
UPDATE transactions SET
    first_of_day = amount >= 0 AND rowid IN (
        SELECT min(rowid) FROM transactions
        WHERE amount >= 0 AND tx_date >= date_trunc('month', CAST($since AS DATE))
        GROUP BY customer_id, tx_date),
    first_of_month = amount >= 0 AND rowid IN (
        SELECT arg_min(rowid, (tx_date, rowid)) FROM transactions
        WHERE amount >= 0 AND tx_date >= date_trunc('month', CAST($since AS DATE))
        GROUP BY customer_id, date_trunc('month', tx_date))
WHERE tx_date >= date_trunc('month', CAST($since AS DATE))
