from . import res_users
from . import rrs_device
from . import rrs_event
from . import rrs_quarantine
from . import stock_move
