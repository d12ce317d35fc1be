"""EPC stage: hypothesis round trips, pyepc as an oracle, compiled vs pure-Python twin."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_core.decode import epc
from ingest_core.decode.epc_encode import uri_unescape
from ingest_core.decode.fallback import epc as pure
from ingest_core.decode.fallback.epc import CSET82, SCHEMES

try:
    from ingest_core.decode._speedups import epc as compiled
except ImportError:
    compiled = None

pyepc = pytest.importorskip("pyepc")

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LAYOUT_BY_SCHEME = {layout[0]: layout for layout in SCHEMES.values()}
digits = st.text("0123456789", min_size=1, max_size=1)


@st.composite
def partitioned_epcs(draw):
    """(scheme, prefix, reference, serial, filter) valid for the partition-table encoder."""
    scheme = draw(st.sampled_from(sorted(LAYOUT_BY_SCHEME)))
    _name, _uri, ref_bits, total_digits, kind, serial_bits, _size = LAYOUT_BY_SCHEME[scheme]
    prefix_length = draw(st.integers(6, 12))
    prefix = draw(st.text("0123456789", min_size=prefix_length, max_size=prefix_length))
    ref_digits = total_digits - prefix_length
    reference = ""
    if kind not in ("giai_int", "giai_str"):
        reference = draw(st.text("0123456789", min_size=ref_digits, max_size=ref_digits))
    if kind == "int":
        serial = str(draw(st.integers(0, 2**serial_bits - 1)))
    elif kind == "giai_int":
        bits = ref_bits[12 - prefix_length]
        serial = str(draw(st.integers(0, min(2**bits, 10**ref_digits) - 1)))
    elif kind == "none":
        serial = ""
    else:
        limit = ref_digits if kind == "giai_str" else serial_bits // 7
        serial = draw(st.text(sorted(CSET82), min_size=1, max_size=limit))
    return scheme, prefix, reference, serial, draw(st.integers(0, 7))


@SETTINGS
@given(partitioned_epcs())
def test_round_trip_partitioned(case):
    """encode then decode gives back every field, through hex, base64 and base64url."""
    scheme, prefix, reference, serial, filter_value = case
    hex_text = epc.encode(scheme, prefix, reference, serial, filter_value)
    raw = bytes.fromhex(hex_text)
    for text in (hex_text, base64.b64encode(raw).decode(),
                 base64.urlsafe_b64encode(raw).decode().rstrip("=")):
        result = epc.decode(text)
        assert result.ok, result.error
        assert (result.scheme, result.filter, result.company_prefix) == (
            scheme,
            filter_value,
            prefix,
        )
        if not scheme.startswith("giai"):
            assert result.reference == reference
        assert result.serial == (serial if not scheme.startswith("sscc") else None)
        assert epc.decode(result.tag_uri).as_dict() == result.as_dict()


gtins = st.text("0123456789", min_size=13, max_size=13).map(
    lambda body: body + pure.check_digit(body)
)
serials = st.text(sorted(CSET82), min_size=1, max_size=20)
dates = st.tuples(st.integers(0, 99), st.integers(1, 12), st.integers(0, 31)).map(
    lambda ymd: f"{ymd[0]:02d}{ymd[1]:02d}{ymd[2]:02d}"
)


@SETTINGS
@given(gtins, serials, st.integers(0, 7), st.none() | dates, st.none() | serials)
def test_round_trip_sgtin_plus(gtin, serial, filter_value, date, lot):
    """SGTIN+/DSGTIN+ (+AIDC lot) round trip."""
    aidc = {"10": lot} if lot else None
    hex_text = epc.encode_sgtin_plus(gtin, serial, filter_value, date=date, aidc=aidc)
    result = epc.decode(hex_text)
    assert result.ok, result.error
    assert (result.gtin, result.serial, result.filter) == (gtin, serial, filter_value)
    assert result.date == date
    assert result.lot == lot


@SETTINGS
@given(partitioned_epcs().filter(lambda case: case[0] in ("sgtin-96", "sgtin-198", "sscc-96")))
def test_against_pyepc(case):
    """For the schemes pyepc decodes (SGTIN-96/198, SSCC-96) the identities agree."""
    scheme, prefix, reference, serial, filter_value = case
    hex_text = epc.encode(scheme, prefix, reference, serial, filter_value)
    ours = epc.decode(hex_text)
    theirs = pyepc.decode(hex_text)
    # pyepc does not apply the TDS URI escapes (%2F, %3C...): compare unescaped.
    assert uri_unescape(ours.uri) == theirs.pure_identity_uri
    if scheme.startswith("sgtin"):
        assert ours.gtin == theirs.gtin
        assert ours.serial == theirs.serial_number
    else:
        assert ours.gs1_key == theirs.sscc


@SETTINGS
@given(st.sampled_from(["sgtin-96", "sscc-96"]), st.data())
def test_pyepc_encodes_what_we_decode(scheme, data):
    """pyepc's encoder output decodes to the same identity with ours."""
    prefix_length = data.draw(st.integers(6, 12))
    prefix = data.draw(st.text("0123456789", min_size=prefix_length, max_size=prefix_length))
    if scheme == "sgtin-96":
        item = data.draw(
            st.text("0123456789", min_size=13 - prefix_length, max_size=13 - prefix_length)
        )
        serial = str(data.draw(st.integers(0, 2**38 - 1)))
        tag = pyepc.SGTIN(prefix, item[0], item[1:], serial)
    else:
        ref = data.draw(
            st.text("0123456789", min_size=17 - prefix_length, max_size=17 - prefix_length)
        )
        tag = pyepc.SSCC(prefix, ref[0], ref[1:])
    result = epc.decode(tag.encode())
    assert result.ok, result.error
    assert result.uri == tag.pure_identity_uri


needs_compiled = pytest.mark.skipif(
    compiled is None,
    reason="compiled ingest_core.decode._speedups.epc not built (build_ext --inplace)",
)
hex_noise = st.text("0123456789abcdefABCDEF ", min_size=0, max_size=80)
headers = st.sampled_from(["30", "31", "32", "33", "34", "36", "37", "38", "39", "F7", "FB", "00"])


@needs_compiled
@SETTINGS
@given(st.one_of(hex_noise, st.tuples(headers, hex_noise).map("".join), st.text(max_size=40)))
def test_compiled_equals_pure_on_noise(text):
    """Both twins give identical results on arbitrary (mostly invalid) text."""
    assert compiled.decode_epc(text).as_dict() == pure.decode_epc(text).as_dict()
    assert compiled.decode_hex(text).as_dict() == pure.decode_hex(text).as_dict()
    assert compiled.decode_base64(text).as_dict() == pure.decode_base64(text).as_dict()


@needs_compiled
@SETTINGS
@given(partitioned_epcs(), st.integers(0, 10**6))
def test_compiled_equals_pure_on_valid(case, salt):
    """Both twins agree on valid EPCs and on their bit-flipped neighbours, field by field."""
    hex_text = epc.encode(*case)
    flipped = format(int(hex_text, 16) ^ (1 << (salt % (len(hex_text) * 4))), "X")
    for text in (hex_text, flipped.zfill(len(hex_text))):
        fast, slow = compiled.decode_hex(text), pure.decode_hex(text)
        assert (fast.gtin, fast.serial) == (slow.gtin, slow.serial)
        assert fast.as_dict() == slow.as_dict()


@needs_compiled
@SETTINGS
@given(gtins, serials, st.none() | dates, st.none() | serials, st.integers(0, 400))
def test_compiled_equals_pure_on_plus(gtin, serial, date, lot, flip):
    """Both twins agree on SGTIN+/DSGTIN+ and their bit-flipped neighbours."""
    hex_text = epc.encode_sgtin_plus(gtin, serial, date=date, aidc={"10": lot} if lot else None)
    flipped = int(hex_text, 16) ^ (1 << (flip % (len(hex_text) * 4)))
    for text in (hex_text, format(flipped, "X").zfill(len(hex_text))):
        assert compiled.decode_hex(text).as_dict() == pure.decode_hex(text).as_dict()
