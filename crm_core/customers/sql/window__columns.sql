,
           -- zero unless the customer's totals changed in the window (their state row is in it)
           CASE WHEN tx.state_day > CAST($period_start AS DATE)
                THEN tx.frequency - coalesce(tx1.frequency, 0) ELSE 0 END                      AS period_frequency,
           CASE WHEN tx.state_day > CAST($period_start AS DATE)
                THEN round(tx.revenue - coalesce(tx1.revenue, 0), 2) ELSE 0 END               AS period_revenue,
           CASE WHEN tx.state_day > CAST($period_start AS DATE)
                THEN round(tx.gross_profit - coalesce(tx1.gross_profit, 0), 2) ELSE 0 END     AS period_gross_profit
