from . import rrs_stock_daily
from . import rrs_sales_hourly
