-- Grain: one row per span of customer_days of a repeat buyer (2 purchase days or more; the
-- filtered customers) that contains one or more of $dates (a sorted list). A span
-- [day, next_day) is the customer's state from a transaction day until their next one, so
-- each date by which a customer had transacted lies in exactly one of their spans; the
-- dates of a span are $dates[lo + 1 .. hi] (1-based; lo, hi: how many dates come before
-- day and before next_day), with the purchase days and last purchase that hold on them.
-- How a span's dates are found is an option: "grid" when the dates are consecutive month
-- ends (the last may be cut short, at the as-of date), by month arithmetic (grid__lifecycle_bounds),
-- and "dates" for any few dates, by counting the dates before each bound (dates__lifecycle_bounds).
WITH fc AS (
    SELECT customer_key FROM ({filtered_customers})
),
spans AS (
    SELECT cd.customer_key, cd.last_purchase, cd.purchase_days,
           {grid__lifecycle_bounds}{dates__lifecycle_bounds}
    FROM customer_days AS cd
    WHERE cd.day <= CAST($dates AS DATE[])[-1] AND cd.next_day > CAST($dates AS DATE[])[1]
      AND cd.purchase_days >= 2
      {key_filter}
)
SELECT CAST(customer_key AS INTEGER)  AS key,
       CAST(lo AS SMALLINT)           AS lo,
       CAST(hi AS SMALLINT)           AS hi,
       CAST(purchase_days AS INTEGER) AS purchase_days,
       last_purchase
FROM spans
WHERE hi > lo
