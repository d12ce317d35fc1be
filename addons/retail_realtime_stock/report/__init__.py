from . import rrs_rollup_drill_mixin
from . import rrs_stock_daily
from . import rrs_sales_hourly
from . import rrs_category_daily
from . import rrs_stock_position
from . import rrs_sales_analysis
from . import rrs_sales_hour_analysis
from . import rrs_analysis_dashboard
