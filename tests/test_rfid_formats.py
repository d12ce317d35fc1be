"""Reader payloads (Impinj IoT device interface, Zebra IoT Connector) to TagReads."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from ingest_core.decode import epc
from ingest_core.rfid.alien import messages
from ingest_core.rfid.formats import (
    ALIEN,
    EDGEX,
    ERRORS,
    IMPINJ,
    SPEEDWAY,
    ZEBRA,
    TagRead,
    detect_vendor,
    not_vendor_format,
    parse_impinj,
    parse_payload,
    parse_zebra,
)

DATA = Path(__file__).parent / "data" / "rfid"
EPC_1 = "3034F4E4E40C0E40000003E9"
EPC_2 = "3034F4E4E40C0E40000003EA"
EPC_3 = "3034257BF7194E4000001A85"
T0 = 1795600800.0  # 2026-11-25T10:00:00Z
RECEIVED = 42.0


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_impinj_single_tag_inventory_event():
    """One tagInventory object: hex EPC, antenna, RSSI in dBm, lastSeenTime, hostname."""
    result = parse_impinj(load("impinj_tag_inventory.json"), RECEIVED)
    assert result.errors == [] and result.events == []
    assert result.reads == [TagRead(EPC_1, 1, -54.0, T0 + 0.12, "impinj-14-2b-3c", 1)]
    assert epc.decode_hex(result.reads[0].epc).gtin == "04012345123456", "EPC decodes downstream"


def test_impinj_webhook_batch_separates_non_tag_events():
    """A webhook array: tag reads in order, other events counted, none rejected."""
    result = parse_payload(load("impinj_webhook_batch.json"), received_at=RECEIVED)
    assert result.vendor == IMPINJ
    assert [read.epc for read in result.reads] == [EPC_1, EPC_2, EPC_3]
    assert [read.antenna for read in result.reads] == [1, 2, 1]
    assert result.reads[1].rssi == -61.5
    assert result.errors == []
    assert result.event_counts() == {
        "antennaConnectivity": 1,
        "inventoryStatus": 1,
        "overflow": 1,
        "diagnostic": 1,
    }
    overflow = next(event for event in result.events if event.kind == "overflow")
    assert overflow.index == 4 and overflow.reader == "impinj-14-2b-3c"
    assert json.loads(overflow.raw)["overflowEvent"] == {"droppedEventCount": 12}


def test_impinj_stream_ndjson_equals_batch():
    """The HTTP stream (one event per line) gives the same result as the webhook array."""
    stream = parse_impinj(load("impinj_stream.ndjson"), RECEIVED)
    batch = parse_impinj(load("impinj_webhook_batch.json"), RECEIVED)
    assert stream.reads == batch.reads
    assert [(e.index, e.kind) for e in stream.events] == [(e.index, e.kind) for e in batch.events]


def test_impinj_legacy_without_event_type_and_base64_only():
    """Older firmware omits eventType; an event with only base64 ``epc`` still decodes."""
    result = parse_impinj(load("impinj_legacy_no_event_type.json"), RECEIVED)
    assert result.reads[0].epc == EPC_1 and result.reads[0].rssi == -26.5
    event = {"tagInventoryEvent": {"epc": base64.b64encode(bytes.fromhex(EPC_2)).decode()}}
    only_base64 = parse_impinj(json.dumps(event), RECEIVED)
    assert only_base64.reads == [TagRead(EPC_2, None, None, RECEIVED, None, 1)], "no time: received"


def test_impinj_errors_are_values_per_event():
    """Bad hex, bad base64, missing EPC and a wrong type reject only their own event."""
    result = parse_impinj(load("impinj_with_errors.json"), RECEIVED)
    assert [read.epc for read in result.reads] == [EPC_1, EPC_3]
    assert [(error.index, error.reason) for error in result.errors] == [
        (1, "bad_hex"),
        (2, "bad_base64"),
        (3, "missing_epc"),
        (4, "bad_event"),
    ]
    assert "30XYZ" in result.errors[0].raw, "the raw event is kept for the quarantine"
    assert all(error.reason in ERRORS for error in result.errors)


def test_impinj_unknown_event_and_bad_lines():
    """An object naming no event, and lines that are not JSON, are errors; the rest parses."""
    tag = json.dumps({"tagInventoryEvent": {"epcHex": EPC_1.lower()}})
    body = "\n".join([tag, "{not json", json.dumps({"timestamp": "x"}), tag, ""])
    result = parse_impinj(body, RECEIVED)
    assert [read.epc for read in result.reads] == [EPC_1, EPC_1], "lowercase hex normalised"
    assert [(e.index, e.reason) for e in result.errors] == [(1, "bad_json"), (2, "unknown_event")]
    assert parse_impinj(b"\x00garbage", RECEIVED).errors[0].reason == "bad_json"


def test_zebra_simple_event():
    """IoT Connector data event: idHex, antenna, peakRssi (dBm), reads as count, hostName."""
    result = parse_zebra(load("zebra_simple.json"), RECEIVED)
    assert result.reads == [TagRead(EPC_1, 1, -55.0, T0 + 0.614, "FX9600F0A1B2", 3)]


@pytest.mark.parametrize("name", ["zebra_batch_array.json", "zebra_batch_data_list.json"])
def test_zebra_batched_forms(name):
    """Batching: an array of events, or one envelope whose data is a list of records."""
    result = parse_payload(load(name), received_at=RECEIVED)
    assert result.vendor == ZEBRA
    assert [(read.epc, read.antenna, read.count) for read in result.reads] == [
        (EPC_1, 1, 3),
        (EPC_2, 2, 1),
        (EPC_3, 4, 7),
    ]
    assert result.errors == []


def test_zebra_errors_and_non_tag_events():
    """Missing idHex, bad hex, TID format, wrong types and bad times are per-event errors."""
    result = parse_zebra(load("zebra_with_errors.json"), RECEIVED)
    assert [read.epc for read in result.reads] == [EPC_1, EPC_3]
    assert [(error.index, error.reason) for error in result.errors] == [
        (1, "missing_epc"),
        (2, "bad_hex"),
        (3, "not_epc"),
        (4, "bad_event"),
        (6, "bad_timestamp"),
    ]
    assert result.event_counts() == {"GPI": 1}
    assert result.events[0].index == 5 and result.events[0].reader == "FX9600F0A1B2"


def test_detect_vendor_and_unknown_vendor():
    """Vendor detection from field names; an unknown vendor name is a programming error."""
    assert detect_vendor(load("impinj_tag_inventory.json")) == IMPINJ
    assert detect_vendor(load("zebra_simple.json")) == ZEBRA
    assert detect_vendor(b"{}") is None
    with pytest.raises(ValueError):
        parse_payload(b"{}", vendor="acme")


def test_all_sample_files_parse_without_exceptions():
    """Every stored sample parses; read + event + error indices cover each event once."""
    for path in sorted(DATA.glob("*.json*")) + sorted(DATA.glob("*.txt")):
        result = parse_payload(path.read_bytes(), received_at=RECEIVED)
        assert result.reads or result.events or result.errors, path.name
        indices = [e.index for e in result.events] + [e.index for e in result.errors]
        assert len(set(indices)) == len(indices), path.name


def test_zebra_concatenated_objects_without_separator():
    """The IoT Connector's HTTP POST body: several JSON objects back to back, no array, no
    delimiter (not valid JSON as a whole); the same reads as the batch array."""
    body = load("zebra_concatenated.txt")
    assert b"}{" in body and b"\n" not in body
    result = parse_payload(body, received_at=RECEIVED)
    assert result.vendor == ZEBRA and result.errors == []
    assert result.reads == parse_payload(load("zebra_batch_array.json"), received_at=RECEIVED).reads


def test_concatenated_objects_with_a_broken_one_cost_that_one_only():
    """A broken object among concatenated ones is one bad_json error; braces inside strings
    do not split an object."""
    good = json.loads(load("zebra_simple.json"))
    good["data"]["hostName"] = 'FX}{9600"'
    one = json.dumps(good, separators=(",", ":")).encode()
    result = parse_zebra(one + one + b'{"data":{"idHex":}' + b"\n" + one, RECEIVED)
    assert len(result.reads) == 3
    assert [(error.index, error.reason) for error in result.errors] == [(2, "bad_json")]
    assert parse_zebra(one + b" trailing", RECEIVED).errors[0].reason == "bad_json"


def test_an_event_with_an_unpaired_surrogate_costs_that_event_only():
    """A lone UTF-16 surrogate escape is JSON msgspec refuses: it made the whole array one
    ``bad_json`` error (the other tags lost) and the whole concatenated value too."""
    good = json.dumps({"timestamp": "2026-12-07T10:00:00Z", "hostname": "r1",
                       "eventType": "tagInventory",
                       "tagInventoryEvent": {"epcHex": "3034257BF7194E4000001A85",
                                             "antennaPort": 1}})
    cut = good.replace('"r1"', '"r1\\udc00"')
    array = parse_payload(f"[{good}, {cut}, {good}]".encode(), "impinj")
    assert [read.antenna for read in array.reads] == [1, 1]
    assert [(e.index, e.reason) for e in array.errors] == [(1, "bad_event")]
    assert "surrogate" in array.errors[0].raw and "r1\ufffd" in array.errors[0].raw
    stream = parse_payload(f"{good}\n{cut}\n{good}\n".encode(), "impinj")
    assert len(stream.reads) == 2 and [e.reason for e in stream.errors] == ["bad_event"]
    broken = parse_payload(f"[{good}, {cut}".encode(), "impinj")
    assert not broken.reads and [e.reason for e in broken.errors] == ["bad_json"]


def test_impinj_epc_in_url_safe_base64():
    """The Impinj ``epc`` field in base64url (``-``, ``_``, no padding) is the same EPC;
    both alphabets in one value is neither."""
    raw = bytes.fromhex("FBFF3E4E40C0E40000003E9F")  # encodes to '+' and '/' in base64
    standard = base64.b64encode(raw).decode()
    url_safe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert "+" in standard and "/" in standard and "-" in url_safe and "_" in url_safe
    event = {"timestamp": "2026-11-25T10:00:00Z", "hostname": "r700",
             "tagInventoryEvent": {"epc": url_safe, "antennaPort": 1}}
    [read] = parse_impinj(json.dumps(event), RECEIVED).reads
    assert read.epc == raw.hex().upper()
    event["tagInventoryEvent"]["epc"] = url_safe.replace("-", "+", 1)
    assert parse_impinj(json.dumps(event), RECEIVED).errors[0].reason == "bad_base64"
    for text in (url_safe, standard):
        assert epc.decode_base64(text).epc_hex == raw.hex().upper()
        assert epc.decode_epc(text).epc_hex == raw.hex().upper()
    assert epc.decode_base64(url_safe.replace("_", "/", 1)).error == "bad_base64"


def test_speedway_connect_posts_separated_by_blank_lines():
    """Speedway Connect: tag_reads records (EPC hex, antenna, dBm, µs since the epoch),
    several posts in one body with blank lines between them, a heartbeat as an event."""
    result = parse_payload(load("speedway_connect.json"), received_at=RECEIVED)
    assert result.vendor == SPEEDWAY and result.errors == []
    assert result.reads == [
        TagRead(EPC_1, 1, -55.0, T0 + 0.614, "SpeedwayR-11-25-AB", 1),
        TagRead(EPC_2, 2, -61.0, T0 + 0.7, "SpeedwayR-11-25-AB", 1),
        TagRead(EPC_3, 4, -48.0, T0 + 1.0, "SpeedwayR-11-25-AB", 1),
    ]
    assert result.event_counts() == {"heartbeat": 1}


def test_fx_connect_legacy_post_with_every_value_a_string():
    """Zebra FX Connect's legacy post: the same fields as strings; a time as ISO 8601; an
    antenna that is not a number is that record's error, not the post's."""
    result = parse_payload(load("fx_connect_legacy.json"), received_at=RECEIVED)
    assert result.vendor == SPEEDWAY
    assert [(r.epc, r.antenna, r.rssi, r.seen_at) for r in result.reads] == [
        (EPC_1, 1, -55.0, T0 + 0.614), (EPC_2, 2, -61.5, T0 + 0.7)]
    assert [(error.index, error.reason) for error in result.errors] == [(2, "bad_event")]


def test_speedway_published_shape():
    """The body a public test suite posts as a reader's, ISO time with microseconds."""
    [read] = parse_payload(load("speedway_published_shape.json"), received_at=RECEIVED).reads
    assert (read.epc, read.antenna, read.rssi, read.reader) == (EPC_1, 1, -50.0, "reader")
    assert read.seen_at == 1528935354.373293  # 2018-06-14T00:15:54.373293Z


def test_cli_rfid_parse(capsys, tmp_path):
    """rtstock rfid parse: one JSON line per tag read, event and error, the vendor detected;
    exit 1 with the reason when nothing in the file is usable."""
    import argparse

    from ingest_core.commands import rfid as rfid_command

    parser = argparse.ArgumentParser()
    rfid_command.add_arguments(parser)
    assert rfid_command.run(parser.parse_args(
        ["parse", str(DATA / "speedway_connect.json")])) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line.get("epc") for line in lines] == [EPC_1, EPC_2, EPC_3, None]
    assert lines[0]["seen_at"] == "2026-11-25T10:00:00.614000+00:00"
    assert lines[3]["event"] == "heartbeat" and "speedway (detected)" in err
    junk = tmp_path / "junk.json"
    junk.write_bytes(b'{"foo": 1}')
    assert rfid_command.run(parser.parse_args(["parse", str(junk), "--vendor", "zebra"])) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["error"] == "unknown_event"
    assert "nothing usable: not a Zebra IoT Connector data payload" in err


EDGEX_EPC = "30340BB6884CB101A13BC744"


@pytest.mark.parametrize(("name", "expected"), [
    ("edgex_v3_readme_arrived.json", [(EDGEX_EPC, 1, 1598043284.104, "SpeedwayR-10-EF-25_1")]),
    ("edgex_add_event_request_object.json",
     [(EDGEX_EPC, 1, 1598043284.104, "SpeedwayR-10-EF-25_1")]),
    ("edgex_v3_readme_moved.json", [(EDGEX_EPC, None, 1598401259.691, "Kitchen")]),
    ("edgex_v1_readme_moved.json", [(EDGEX_EPC, None, 1598401259.691, "Kitchen")]),
])
def test_edgex_llrp_inventory_arrived_and_moved_are_tag_reads(name, expected):
    """EdgeX app-rfid-llrp-inventory: the README's examples (event as a JSON string in
    value, EdgeX 3 and 1 names) and the AddEventRequest with objectValue that the code
    publishes; the antenna from '<reader>_<antenna>', none from an alias; ms times."""
    result = parse_payload(load(name), received_at=RECEIVED)
    assert result.vendor == EDGEX and result.errors == []
    assert [(r.epc, r.antenna, r.seen_at, r.reader) for r in result.reads] == expected


def test_edgex_departed_is_a_reader_event():
    """Departed (a tag not seen for a while) moves nothing: two reader events."""
    result = parse_payload(load("edgex_v3_readme_departed.json"), received_at=RECEIVED)
    assert result.reads == [] and result.errors == []
    assert [(event.kind, event.reader) for event in result.events] == [
        ("Departed", "SpeedwayR-10-EF-25_1"), ("Departed", "POS Terminals")]


def test_many_broken_lines_are_one_error_each():
    """200 000 lines that each open an object and never close it, around good events:
    every broken line is one bad_json error and the good events are read. (The body is
    read in one pass: a version that rescanned the rest of the body after each broken
    line would not finish this test.)"""
    good = json.dumps(json.loads(load("zebra_simple.json")), separators=(",", ":")).encode()
    body = good + b"\n" + b'{"data":\n' * 200_000 + good + good
    result = parse_zebra(body, RECEIVED)
    assert len(result.reads) == 3
    assert len(result.errors) == 200_000
    assert {error.reason for error in result.errors} == {"bad_json"}


# ---------------------------------------------------------------- Alien ALR text
def _alien(reader: str, *tag_lines: str, reason: str = "TAGS ADDED") -> bytes:
    """One Alien text notification as the reader writes it: CRLF, a NUL at the end."""
    lines = ["#Alien RFID Reader Auto Notification Message", f"#ReaderName: {reader}",
             "#ReaderType: Alien RFID Tag Reader, Model: ALR-F800 (Four Antenna / Gen 2)",
             "#IPAddress: 192.168.1.100", "#CommandPort: 23",
             "#MACAddress: 00:1B:5F:00:A2:20", "#Time: 2026/11/25 10:00:05.000",
             f"#Reason: {reason}", "#StartTriggerLines: 0", "#StopTriggerLines: 0",
             *(tag_lines or ("(No Tags)",)), "#End of Notification Message"]
    return ("\r\n".join(lines) + "\r\n\0").encode()


def test_alien_text_notifications_become_tag_reads_and_reader_events():
    """Tags with spaces in their hex, Last preferred over Disc, Count and Ant kept;
    a notification without tags is a reader event named by its Reason."""
    body = _alien("S01-ALIEN",
                  f"Tag:{' '.join(EPC_1[i:i + 4] for i in range(0, 24, 4))}, "
                  "Disc:2026/11/25 10:00:00.000, Last:2026/11/25 10:00:01.500, Count:7, "
                  "Ant:2, Proto:2",
                  f"Tag:{EPC_2.lower()}, Disc:2026/11/25 10:00:02, Count:1, Ant:0") \
        + _alien("S01-ALIEN", reason="TEST MESSAGE")
    assert detect_vendor(body) == ALIEN
    parsed = parse_payload(body, ALIEN, RECEIVED)
    assert parsed.reads == [TagRead(EPC_1, 2, None, T0 + 1.5, "S01-ALIEN", 7),
                            TagRead(EPC_2, 0, None, T0 + 2.0, "S01-ALIEN", 1)]
    assert [(e.kind, e.reader, e.seen_at) for e in parsed.events] == [
        ("TEST MESSAGE", "S01-ALIEN", T0 + 5.0)]
    assert parsed.errors == []


def test_alien_bad_lines_cost_only_themselves():
    """A bad hex, a bad time or a stray line is one error; the good tag still reads;
    a JSON body posted as Alien is refused as not the format."""
    body = _alien("S01-ALIEN", "Tag:ZZZZ 0001, Disc:2026/11/25 10:00:00.000",
                  f"Tag:{EPC_3}, Last:yesterday", "garbage line",
                  f"Tag:{EPC_1}, Last:2026/11/25 10:00:00.000, Ant:1")
    parsed = parse_payload(body, ALIEN, RECEIVED)
    assert [read.epc for read in parsed.reads] == [EPC_1]
    assert [error.reason for error in parsed.errors] == ["bad_hex", "bad_timestamp",
                                                         "bad_event"]
    assert not_vendor_format(parse_payload(b'{"tagInventoryEvent": {}}', ALIEN, 0.0))


def test_alien_messages_are_cut_at_each_nul_whatever_the_tcp_chunks():
    """``messages`` takes whole notifications off a TCP buffer, keeping a partial one."""
    one, two = _alien("A", f"Tag:{EPC_1}"), _alien("B", f"Tag:{EPC_2}")
    stream = bytearray(one + two[:40])
    assert messages(stream) == [one[:-1]]
    assert bytes(stream) == two[:40]
    stream += two[40:] + b"\0\0"
    assert messages(stream) == [two[:-1]] and stream == bytearray()
