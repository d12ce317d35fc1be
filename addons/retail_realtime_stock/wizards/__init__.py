from . import rrs_device_token_wizard
from . import rrs_alert_close_wizard
from . import rrs_epcis_partner_token_wizard
from . import rrs_epcis_event_wizard
from . import rrs_period_report_wizard
