greatest(datediff('month', CAST($dates AS DATE[])[1], cd.day), 0) AS lo,
           CASE WHEN cd.next_day > CAST($dates AS DATE[])[-1] THEN len(CAST($dates AS DATE[]))
                ELSE datediff('month', CAST($dates AS DATE[])[1], cd.next_day) END AS hi
