"""EPC decoding stage through its public API (runs compiled and with RTSTOCK_PURE_PYTHON=1)."""

from __future__ import annotations

import base64
import os

import pytest

from ingest_core.commands import decode as decode_command
from ingest_core.decode import epc

SPEC_SGTIN96 = "3074257BF7194E4000001A85"


def test_implementation_matches_switch():
    """The compiled twin is in use unless pure Python is forced (and it is built)."""
    forced = os.environ.get("RTSTOCK_PURE_PYTHON", "") in {"1", "true", "yes", "on"}
    if forced:
        assert epc.implementation() == "python"
    else:
        pytest.importorskip("ingest_core.decode._speedups.epc", reason="compiled epc not built")
        assert epc.implementation() == "cython", "compiled module built but not used"


def test_spec_sgtin96_example():
    """TDS example: 3074257BF7194E4000001A85 is sgtin 0614141.812345.6789, filter 3."""
    result = epc.decode(SPEC_SGTIN96)
    assert result.ok, result.error
    assert result.scheme == "sgtin-96"
    assert result.filter == 3
    assert result.company_prefix == "0614141"
    assert result.reference == "812345"
    assert result.serial == "6789"
    assert result.gtin == "80614141123458", "GTIN-14 with computed check digit"
    assert result.uri == "urn:epc:id:sgtin:0614141.812345.6789"
    assert result.tag_uri == "urn:epc:tag:sgtin-96:3.0614141.812345.6789"
    assert result.element_string == "(01)80614141123458(21)6789"
    assert result.epc_hex == SPEC_SGTIN96


@pytest.mark.parametrize(
    "text",
    [
        SPEC_SGTIN96.lower(),
        "30 74 25 7B F7 19 4E 40 00 00 1A 85",
        " 3074 257b f719 4e40 0000 1a85\n",
        base64.b64encode(bytes.fromhex(SPEC_SGTIN96)).decode(),
        SPEC_SGTIN96 + "0000",
    ],
)
def test_input_forms(text):
    """Lowercase, spaced, base64 and word-padded inputs decode to the same identity."""
    result = epc.decode(text)
    assert result.ok, result.error
    assert result.uri == "urn:epc:id:sgtin:0614141.812345.6789"


def test_base64_explicit():
    """decode_base64 reads the Impinj epc field and normalises epc_hex."""
    text = base64.b64encode(bytes.fromhex(SPEC_SGTIN96)).decode()
    assert epc.decode_base64(text).epc_hex == SPEC_SGTIN96


# (scheme, company prefix, reference, serial, expected pure-identity URI, GS1 key)
SCHEME_CASES = [
    ("sgtin-96", "0614141", "812345", "6789", "urn:epc:id:sgtin:0614141.812345.6789", None),
    ("sgtin-198", "0614141", "712345", "32a/b", "urn:epc:id:sgtin:0614141.712345.32a%2Fb", None),
    (
        "sscc-96",
        "0614141",
        "1234567890",
        "",
        "urn:epc:id:sscc:0614141.1234567890",
        "106141412345678908",
    ),
    ("sgln-96", "0614141", "12345", "5678", "urn:epc:id:sgln:0614141.12345.5678", "0614141123452"),
    (
        "sgln-195",
        "0614141",
        "12345",
        "32a/b",
        "urn:epc:id:sgln:0614141.12345.32a%2Fb",
        "0614141123452",
    ),
    (
        "grai-96",
        "0614141",
        "12345",
        "5678",
        "urn:epc:id:grai:0614141.12345.5678",
        "006141411234525678",
    ),
    ("grai-170", "0614141", "12345", "32a/b", "urn:epc:id:grai:0614141.12345.32a%2Fb", None),
    ("giai-96", "0614141", "", "5678", "urn:epc:id:giai:0614141.5678", "06141415678"),
    ("giai-202", "0614141", "", "12345ABC", "urn:epc:id:giai:0614141.12345ABC", None),
]


@pytest.mark.parametrize(("scheme", "prefix", "reference", "serial", "uri", "key"), SCHEME_CASES)
def test_every_scheme(scheme, prefix, reference, serial, uri, key):
    """Every partition-table scheme encodes and decodes to its TDS URI forms."""
    hex_text = epc.encode(scheme, prefix, reference, serial, filter=2)
    result = epc.decode_hex(hex_text)
    assert result.ok, result.error
    assert result.scheme == scheme
    assert result.filter == 2
    assert result.company_prefix == prefix
    assert result.uri == uri
    assert result.tag_uri == uri.replace("urn:epc:id:", "urn:epc:tag:").replace(
        f":{prefix}", f":{scheme}:2.{prefix}"
    ).replace(f"{uri.split(':')[3]}:{scheme}", scheme)
    if key is not None:
        assert result.gs1_key == key
    assert epc.decode(uri).uri == uri, "pure identity URI decodes back to itself"
    assert epc.decode(result.tag_uri).as_dict() == result.as_dict(), "tag URI round trip"


def test_sscc_spec_example():
    """pyepc/TDS SSCC example 3114257BF4499602D2000000."""
    result = epc.decode("3114257BF4499602D2000000")
    assert result.uri == "urn:epc:id:sscc:0614141.1234567890"
    assert result.element_string == "(00)106141412345678908"


def test_sgtin_plus():
    """SGTIN+ carries the whole GTIN-14 and an AI 21 serial; +AIDC adds the lot."""
    hex_text = epc.encode_sgtin_plus("80614141123458", "ABC-12", filter=1, aidc={"10": "LOT7"})
    assert hex_text.startswith("F7")
    result = epc.decode(hex_text)
    assert result.ok, result.error
    assert (result.scheme, result.gtin, result.serial) == ("sgtin+", "80614141123458", "ABC-12")
    assert result.filter == 1
    assert result.lot == "LOT7"
    assert result.aidc == {"10": "LOT7"}
    assert result.element_string == "(01)80614141123458(21)ABC-12(10)LOT7"


@pytest.mark.parametrize("encoding", [0, 1, 2, 3, 4])
def test_sgtin_plus_serial_encodings(encoding):
    """Every TDS 2.0 serial encoding we write decodes back."""
    serial = {0: "0012345", 1: "00AF9", 2: "00af9", 3: "Ab-_9", 4: "A!b%9"}[encoding]
    hex_text = epc.encode_sgtin_plus("80614141123458", serial, serial_encoding=encoding)
    assert epc.decode(hex_text).serial == serial


def test_dsgtin_plus():
    """DSGTIN+ carries a prioritised date and its AI."""
    hex_text = epc.encode_sgtin_plus("80614141123458", "77", date="261231", date_ai="15")
    assert hex_text.startswith("FB")
    result = epc.decode(hex_text)
    assert result.ok, result.error
    assert (result.scheme, result.date, result.date_ai) == ("dsgtin+", "261231", "15")
    assert result.element_string == "(01)80614141123458(21)77(15)261231"
    assert result.uri is None and result.company_prefix is None


def _flip_gtin_check(hex_text: str) -> str:
    value = int(hex_text, 16)
    nibble_position = len(hex_text) * 4 - 12 - 14 * 4  # the check digit nibble of the GTIN
    digit = (value >> nibble_position) & 15
    value ^= (digit ^ ((digit + 1) % 10)) << nibble_position
    return format(value, "X").zfill(len(hex_text))


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("3074257BF7194E4000001A8", "bad_hex"),
        ("!!!!", "bad_base64"),
        ("MHQ=le/c", "bad_base64"),
        ("000000000000000000000000", "not_gs1"),
        ("E28011606000020A1B2C3D4E", "unsupported_scheme"),
        ("E2", "unsupported_scheme"),
        ("0A", "not_gs1"),
        ("35" + "0" * 22, "unsupported_scheme"),
        ("3074257BF7194E40", "truncated"),
        ("30", "truncated"),
        ("307C257BF7194E4000001A85", "bad_partition"),
        ("30" + "7" * 22, "bad_company_prefix"),
        ("AA" * 200, "too_long"),
        ("urn:epc:tag:sgtin-96:3.0614141.812345.ABC", "non_numeric_serial"),
        ("urn:epc:id:sgtin:0614141", "bad_uri"),
        ("urn:epc:id:gid:1.2.3", "unsupported_scheme"),
    ],
)
def test_errors(text, error):
    """Each failure is a value with its precise code, never an exception."""
    result = epc.decode(text)
    assert not result.ok
    assert result.error == error
    assert result.error in epc.ERRORS


def test_binary_field_errors():
    """bad_reference, bad_serial, bad_check, bad_date come from malformed binaries."""
    # SGTIN-96 partition 0 (1-digit item reference, 4 bits) holding 15.
    value = (0x30 << 88) | (0 << 82) | (15 << 38)
    assert epc.decode_hex(format(value, "024X")).error == "bad_reference"
    # SGTIN-198 serial with a control character.
    good = epc.encode("sgtin-198", "0614141", "712345", "AB")
    bad_serial = good[:16] + "0" + good[17:]
    assert epc.decode_hex(good).ok
    assert epc.decode_hex(bad_serial).error == "bad_serial"
    plus = epc.encode_sgtin_plus("80614141123458", "1")
    assert epc.decode_hex(_flip_gtin_check(plus)).error == "bad_check"
    dated = epc.encode_sgtin_plus("80614141123458", "1", date="260101")
    bad_month = dated[:5] + format(int(dated[5], 16) | 0x1, "X") + "F" + dated[7:]
    assert epc.decode_hex(bad_month).error == "bad_date"


def test_decode_many_keeps_order():
    """decode_many returns one result per input, errors included, in order."""
    items = [SPEC_SGTIN96, "", "0" * 24, epc.encode_sgtin96("4012345", "012345", 1)]
    results = epc.decode_many(items)
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[3].uri == "urn:epc:id:sgtin:4012345.012345.1"


def test_encode_sgtin96_spec():
    """encode_sgtin96 reproduces the TDS example binary."""
    assert epc.encode_sgtin96("0614141", "812345", 6789, filter=3) == SPEC_SGTIN96


def test_result_as_dict_fields():
    """as_dict has every field and equals between equal decodes."""
    data = epc.decode(SPEC_SGTIN96).as_dict()
    assert tuple(data) == epc.FIELDS
    assert epc.decode(SPEC_SGTIN96) == epc.decode(SPEC_SGTIN96.lower())


def test_cli_decode(capsys):
    """rtstock decode prints JSON for an EPC and exits 1 on junk."""
    import argparse
    import json

    parser = argparse.ArgumentParser()
    decode_command.add_arguments(parser)
    assert decode_command.run(parser.parse_args([SPEC_SGTIN96])) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["gtin"] == "80614141123458" and printed["source"] == "epc"
    assert decode_command.run(parser.parse_args(["0" * 24])) == 1
    assert "not_gs1" in capsys.readouterr().err
    # the same EPC in hex and in base64url ("-", "_", no padding) prints the same item
    for text in ("3034F4E4E40001C000000FBF", "MDT05OQAAcAAAA-_"):
        assert decode_command.run(parser.parse_args([text])) == 0
        printed = json.loads(capsys.readouterr().out)
        assert (printed["epc_hex"], printed["serial"]) == ("3034F4E4E40001C000000FBF", "4031")
