# Dates in one English style on every page, as precise as the source: "November 21, 2011",
# "March 7, 1959", "November 2014" (Django's own abbreviate some months, AP style: "Nov. 21,
# 2011" beside "March 7, 1959").
DATE_FORMAT = "F j, Y"
YEAR_MONTH_FORMAT = "F Y"
DATETIME_FORMAT = "F j, Y, H:i"  # the admin's history and the sources' capture times
