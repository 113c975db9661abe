len(list_filter(CAST($dates AS DATE[]), lambda x: x < cd.day)) AS lo,
           len(list_filter(CAST($dates AS DATE[]), lambda x: x < cd.next_day)) AS hi
