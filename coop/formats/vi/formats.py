# Dates in one Vietnamese style on every page, as precise as the source: "21 tháng 11 năm
# 2011", "tháng 11 năm 2014" (Django's own give "Ngày 21 tháng 11 năm 2011" and "Tháng 11 2014").
DATE_FORMAT = r"j \t\há\n\g n \nă\m Y"
YEAR_MONTH_FORMAT = r"\t\há\n\g n \nă\m Y"
