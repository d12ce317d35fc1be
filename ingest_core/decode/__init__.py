"""Decode stage: GS1 barcodes and RFID EPCs to typed results (compiled, or its pure-Python twin)."""
