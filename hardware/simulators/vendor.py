"""Vendor RFID payloads: Impinj R700 ``tagInventory`` events, Zebra IoT Connector data,
Impinj Speedway Connect posts, EdgeX LLRP inventory events, Alien ALR text notifications.

What it is: builders of the JSON that these fixed readers post to a
webhook/HTTP endpoint, so the ingest's vendor envelopes can be driven without
the hardware.

How it works: Impinj R700 (IoT device interface) streams events
``{"timestamp", "hostname", "eventType": "tagInventory", "tagInventoryEvent":
{"epc" (base64), "epcHex", "antennaPort", "antennaName", "peakRssiCdbm",
"frequency", "transmitPowerCdbm", "lastSeenTime"}}``, several per POST.
Zebra IoT Connector (FX/ATR readers) posts tag data events ``{"type":
"SIMPLE", "timestamp", "data": {"idHex", "format": "epc", "antenna",
"peakRssi", "reads", "channel", "eventNum"}}``, also batched in an array.
Signal values are drawn from the run's seeded generator.

Speedway Connect (Impinj's on-reader app; Zebra FX Connect copies it) posts
``{"reader_name", "mac_address", "tag_reads": [{"epc", "antennaPort", "peakRssi",
"firstSeenTimestamp" (µs), "isHeartBeat"}]}``; EdgeX ``app-rfid-llrp-inventory``
publishes ``AddEventRequest``s whose readings are ``InventoryEventArrived`` with the
inventory event in ``objectValue`` (location ``<reader>_<antenna>``).

Caveats: only the fields an ingest needs plus the common ones are produced;
the vendors' optional fields (TID, phase, user memory) are left out.
"""

from __future__ import annotations

import base64
import os
import random
from datetime import UTC, datetime, timedelta
from typing import Any


def _base() -> datetime:
    """Start of the simulated day: 08:00 UTC yesterday, or ``RTSTOCK_SIM_DAY`` (YYYY-MM-DD).

    Yesterday, so that no read of a simulated day (up to 16 hours long at any
    pace) is in the future whatever the hour a run starts: the ingest rejects
    reads stamped more than ``max_read_future_s`` ahead, and reads older than its
    event-log retention (30 days), so a recent day it must be. A fixed day makes
    runs byte-identical across days.
    """
    day = os.environ.get("RTSTOCK_SIM_DAY")
    start = datetime.fromisoformat(day) if day else datetime.now(UTC) - timedelta(days=1)
    return datetime(start.year, start.month, start.day, 8, 0, tzinfo=UTC)


_BASE = _base()


def moment(at_s: float) -> datetime:
    """The simulated day's time ``at_s`` seconds after its start (aware UTC)."""
    return _BASE + timedelta(seconds=at_s)


def _stamp(at_s: float, zebra: bool = False) -> str:
    moment_ = moment(at_s)
    if zebra:
        return moment_.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment_.microsecond // 1000:03d}+0000"
    return moment_.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def impinj_r700_event(
    rng: random.Random, epc_hex: str, at_s: float, hostname: str
) -> dict[str, Any]:
    """One Impinj R700 ``tagInventory`` event."""
    antenna = rng.randint(1, 4)
    return {
        "timestamp": _stamp(at_s),
        "hostname": hostname,
        "eventType": "tagInventory",
        "tagInventoryEvent": {
            "epc": base64.b64encode(bytes.fromhex(epc_hex)).decode(),
            "epcHex": epc_hex,
            "antennaPort": antenna,
            "antennaName": f"Antenna {antenna}",
            "peakRssiCdbm": rng.randint(-7500, -3500),
            "frequency": rng.choice([902750, 915250, 920250, 927250]),
            "transmitPowerCdbm": 3000,
            "lastSeenTime": _stamp(at_s),
        },
    }


def zebra_iot_event(
    rng: random.Random, epc_hex: str, at_s: float, event_num: int
) -> dict[str, Any]:
    """One Zebra IoT Connector tag data event."""
    return {
        "type": "SIMPLE",
        "timestamp": _stamp(at_s, zebra=True),
        "data": {
            "eventNum": event_num,
            "format": "epc",
            "idHex": epc_hex.lower(),
            "antenna": rng.randint(1, 4),
            "peakRssi": rng.randint(-75, -35),
            "reads": rng.randint(1, 5),
            "channel": rng.choice([902.75, 915.25, 920.25, 927.25]),
        },
    }


def speedway_post(rng: random.Random, epcs: list[str], at_s: float, reader: str,
                  strings: bool = False) -> dict[str, Any]:
    """One Speedway Connect HTTP post of ``epcs``; ``strings``: every value a string, as
    Zebra FX Connect's legacy post sends them."""
    first_us = int(moment(at_s).timestamp() * 1_000_000)
    reads = [{"epc": code.lower(), "antennaPort": rng.randint(1, 4),
              "peakRssi": rng.randint(-75, -35), "firstSeenTimestamp": first_us + n,
              "isHeartBeat": False} for n, code in enumerate(epcs)]
    if strings:
        reads = [{key: str(value).lower() if isinstance(value, bool) else str(value)
                  for key, value in read.items()} for read in reads]
    return {"reader_name": reader, "mac_address": "00:16:25:12:34:56", "tag_reads": reads}


def edgex_event(rng: random.Random, epcs: list[str], at_s: float, reader: str,
                request_id: int) -> dict[str, Any]:
    """One EdgeX v3 ``AddEventRequest`` of ``app-rfid-llrp-inventory``: an
    ``InventoryEventArrived`` reading per EPC."""
    at_ms = int(moment(at_s).timestamp() * 1000)
    readings = [{"id": f"{request_id:08d}-{n:04d}", "origin": (at_ms + n) * 1_000_000,
                 "deviceName": "app-rfid-llrp-inventory", "profileName": "LLRP-Inventory",
                 "resourceName": "InventoryEventArrived", "valueType": "Object", "value": "",
                 "objectValue": {"epc": code.lower(), "tid": "", "timestamp": at_ms + n,
                                 "location": f"{reader}_{rng.randint(1, 4)}"}}
                for n, code in enumerate(epcs)]
    return {"apiVersion": "v3", "requestId": f"{request_id:08d}", "event": {
        "apiVersion": "v3", "id": f"{request_id:08d}", "deviceName": "app-rfid-llrp-inventory",
        "profileName": "LLRP-Inventory", "sourceName": "InventoryEventArrived",
        "origin": at_ms * 1_000_000, "readings": readings}}


def alien_notification(reader: str, epcs: list[str], at: datetime,
                       reason: str = "TAGS ADDED", antenna: int = 0) -> bytes:
    """One Alien ALR text notification as the reader pushes it over TCP: ``#`` header
    lines, one ``Tag:`` line per EPC (hex in groups of four), CRLF, then a NUL.
    ``at`` is written without a zone, as the reader writes its (UTC) clock."""
    stamp = at.strftime("%Y/%m/%d %H:%M:%S.") + f"{at.microsecond // 1000:03d}"
    tags = [f"Tag:{' '.join(code[i:i + 4] for i in range(0, len(code), 4))}, "
            f"Disc:{stamp}, Last:{stamp}, Count:3, Ant:{antenna}, Proto:2" for code in epcs]
    lines = ["#Alien RFID Reader Auto Notification Message", f"#ReaderName: {reader}",
             "#ReaderType: Alien RFID Tag Reader, Model: ALR-F800 (Four Antenna / Gen 2)",
             "#IPAddress: 127.0.0.1", "#CommandPort: 23", "#MACAddress: 00:1B:5F:00:A2:20",
             f"#Time: {stamp}", f"#Reason: {reason}", "#StartTriggerLines: 0",
             "#StopTriggerLines: 0", *(tags or ["(No Tags)"]), "#End of Notification Message"]
    return ("\r\n".join(lines) + "\r\n\0").encode()
