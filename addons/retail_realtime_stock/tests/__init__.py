from . import test_rrs_device
from . import test_rrs_event
from . import test_rrs_quarantine
from . import test_rrs_security
from . import test_valuation_cron
from . import test_valuation_equivalence
