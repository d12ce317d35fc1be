"""Demo stage: ``rtstock demo``, the whole product on one machine with a real year of sales."""
