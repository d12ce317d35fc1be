from . import rrs_device_token_wizard
