"""RFID stage: reader payloads parsed, deduplicated and turned into movements or cycle counts."""
