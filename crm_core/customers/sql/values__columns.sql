, v.revenue_values, v.gross_profit_values
