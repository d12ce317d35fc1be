"""No reader payload, however mangled, lets an exception out of a vendor parser: real
published samples (``tests/data/rfid/``, their sources in its README) and Alien
notifications, truncated, bit-flipped, spliced with huge numbers, deep nesting and
invalid UTF-8, and a 10 MB body; every outcome is values (reads, events, errors)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardware.simulators.catalog import sgtin96
from hardware.simulators.vendor import alien_notification
from ingest_core.rfid.formats import VENDORS, not_vendor_format, parse_payload

SAMPLES = sorted((Path(__file__).parent / "data" / "rfid").glob("*.*"))
SAMPLES = [path.read_bytes() for path in SAMPLES if path.suffix != ".md"]
SAMPLES.append(alien_notification("S01-EXIT-ALIEN", [sgtin96(3, n) for n in range(3)],
                                  datetime(2026, 12, 7, 9, 0, tzinfo=UTC)))
JUNK = [b"1" * 400, b"-1e999999", b"[" * 5000, b'{"a":' * 3000, b"\xff\xfe\x80",
        b"\x00", b"\r\n\r\n", b'"\\ud800"', b"NaN", b"Tag:", b"#ReaderName:\x00"]


@st.composite
def mangled(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(("truncate", "flip", "splice", "repeat")))
        where = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "truncate":
            del data[where:]
        elif action == "flip" and data:
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "splice":
            data[where:where] = draw(st.sampled_from(JUNK))
        else:
            data += data[: draw(st.integers(0, 2000))]
    return bytes(data)


def _parse_every_way(body: bytes) -> None:
    for vendor in (None, *VENDORS):
        parsed = parse_payload(body, vendor, received_at=1_800_000_000.0)
        not_vendor_format(parsed)
        assert all(len(error.raw) <= 4096 for error in parsed.errors)
        for read in parsed.reads:
            assert read.epc and read.epc == read.epc.upper()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_mangled_real_payloads_never_raise(body):
    _parse_every_way(body)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(body):
    _parse_every_way(body)


def test_deep_nesting_and_a_ten_megabyte_body_never_raise():
    _parse_every_way(b"[" * 100_000 + b"]" * 100_000)
    _parse_every_way(b'{"data":' * 50_000 + b"1" + b"}" * 50_000)
    sample = SAMPLES[0]
    _parse_every_way(sample * (10_000_000 // len(sample) + 1))
