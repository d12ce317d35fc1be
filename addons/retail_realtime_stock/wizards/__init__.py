from . import rrs_device_token_wizard
from . import rrs_alert_close_wizard
