"""Serve stage: the ingest HTTP service, its RFID and count-session routes, and the MQTT bridge."""
