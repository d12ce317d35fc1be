"""EPCIS 2.0: the stock's movements as GS1 visibility events (``docs/decisions/epcis.md``)."""
