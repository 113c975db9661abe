,
           coalesce(tx.frequency, 0) - coalesce(tx1.frequency, 0)                 AS period_frequency,
           round(coalesce(tx.revenue, 0) - coalesce(tx1.revenue, 0), 2)           AS period_revenue,
           round(coalesce(tx.gross_profit, 0) - coalesce(tx1.gross_profit, 0), 2) AS period_gross_profit
