"""The ``gs1`` decode stage through its public API (``ingest_core.decode.gs1``).

Runs twice in CI: compiled, then with ``RTSTOCK_PURE_PYTHON=1``. Real codes
from GS1 examples and retail packaging, then every error code.
"""

from __future__ import annotations

import os

import pytest

from ingest_core.decode import gs1

GS = "\x1d"
FIELDS = (
    "ok",
    "error",
    "error_detail",
    "kind",
    "gtin",
    "raw_barcode",
    "lot",
    "serial",
    "expiry",
    "count",
    "content_gtin",
)


def test_implementation_is_the_expected_one():
    """The compiled module is in use when CI built it, the twin when forced."""
    expected = os.environ.get("RTSTOCK_EXPECT_SPEEDUPS")
    if not expected:
        pytest.skip("RTSTOCK_EXPECT_SPEEDUPS not set (scripts/test.sh sets it)")
    assert gs1.implementation() == expected, f"gs1 runs {gs1.implementation()}, not {expected}"


@pytest.mark.parametrize(
    ("code", "kind", "gtin"),
    [
        ("4012345000009", "ean13", "04012345000009"),
        ("5901234123457", "ean13", "05901234123457"),
        ("036000291452", "upca", "00036000291452"),
        ("96385074", "ean8", "00000096385074"),
        ("10012345000017", "gtin14", "10012345000017"),
        ("]E04012345000009", "ean13", "04012345000009"),
        ("]E496385074", "ean8", "00000096385074"),
        ("]I110012345000017", "gtin14", "10012345000017"),
        ("  4012345000009\r\n", "ean13", "04012345000009"),
    ],
)
def test_plain_codes(code, kind, gtin):
    """Plain EAN/UPC/GTIN-14 codes give kind, GTIN-14 and the literal digits."""
    result = gs1.parse_scan(code)
    assert result.ok, result
    assert (result.kind, result.gtin) == (kind, gtin), result
    assert gtin.endswith(result.raw_barcode), result
    assert result.raw_barcode in code, "raw_barcode is the code as scanned"
    assert (result.lot, result.serial, result.expiry, result.count, result.content_gtin) == (
        None,
        None,
        None,
        None,
        None,
    ), result


def test_upca_raw_barcode_keeps_leading_zero():
    """raw_barcode is the literal 12 digits, so a product.barcode of 12 digits matches."""
    result = gs1.parse_scan("036000291452")
    assert result.raw_barcode == "036000291452", result


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            f"]C10104012345000009{GS}10LOT-A{GS}17261231",
            {"gtin": "04012345000009", "lot": "LOT-A", "expiry": "2026-12-31"},
        ),
        (
            "]C101040123450000091726123110LOT-A",
            {"gtin": "04012345000009", "lot": "LOT-A", "expiry": "2026-12-31"},
        ),
        (
            "(01)04012345000009(10)LOT-A(17)261231",
            {"gtin": "04012345000009", "lot": "LOT-A", "expiry": "2026-12-31"},
        ),
        (
            "(01) 04012345000009 (17) 270200 (21) SN-0042",
            {"gtin": "04012345000009", "serial": "SN-0042", "expiry": "2027-02-28"},
        ),
        (
            f"]d2010401234500000917280200{GS}21ABC123{GS}10L1",
            {"gtin": "04012345000009", "serial": "ABC123", "lot": "L1", "expiry": "2028-02-29"},
        ),
        (f"]Q30104012345000009{GS}3012", {"gtin": "04012345000009", "count": 12}),
        (
            "]C1020401234500000937144",
            {"gtin": None, "content_gtin": "04012345000009", "count": 144},
        ),
        (f"{GS}0104012345000009{GS}", {"gtin": "04012345000009"}),
        ("0104012345000009", {"gtin": "04012345000009"}),
        # other known AIs are checked and ignored (net weight 3103, price 3922)
        (f"]C101040123450000093103000750{GS}39221299{GS}", {"gtin": "04012345000009"}),
        # SSCC (00) with content (02) and count (37): a pallet label
        (
            f"]C100106141411234567891020401234500000937{'12'}",
            {"gtin": None, "content_gtin": "04012345000009", "count": 12},
        ),
    ],
)
def test_gs1_element_strings(code, expected):
    """Element strings (GS1-128, DataMatrix, QR, HRI) give GTIN, lot, serial, expiry, count."""
    result = gs1.parse_scan(code)
    assert result.ok, result
    assert result.kind == "gs1", result
    assert result.raw_barcode is None, result
    got = {key: getattr(result, key) for key in expected}
    assert got == expected, result


def test_day_00_is_the_last_day_of_the_month():
    """GS1 expiry day 00 means the end of the month (leap years too)."""
    assert gs1.parse_scan("0104012345000009" + "17280200").expiry == "2028-02-29"
    assert gs1.parse_scan("0104012345000009" + "17270200").expiry == "2027-02-28"
    assert gs1.parse_scan("0104012345000009" + "17261100").expiry == "2026-11-30"


def test_count_37_wins_over_30():
    """When both AI 30 and AI 37 are present, AI 37 (count of trade items) wins."""
    assert gs1.parse_scan(f"010401234500000930{'5'}{GS}37{'7'}").count == 7
    assert gs1.parse_scan(f"010401234500000937{'7'}{GS}30{'5'}").count == 7


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("", "empty"),
        ("   \r\n", "empty"),
        (None, "empty"),
        ("]C1", "empty"),
        (4012345000009, "not_text"),
        (b"4012345000009", "not_text"),
        ("]C", "bad_symbology"),
        ("]1x0104012345000009", "bad_symbology"),
        ("40123450000X9", "not_numeric"),
        ("".join(chr(0xFF10 + int(d)) for d in "4012345000009"), "not_numeric"),  # full-width
        ("12345", "bad_length"),
        ("401234500000", "bad_check_digit"),  # a 12-digit code, wrong check digit
        ("4012345000008", "bad_check_digit"),
        ("]E04012345000009999", "bad_length"),
        ("0104012345000008", "bad_check_digit"),
        ("(02)04012345000008(37)1", "bad_check_digit"),
        ("]C10504012345000009", "unknown_ai"),
        ("(01)04012345000009(05)1", "unknown_ai"),
        ("(01)0401234500000", "bad_ai_value"),
        ("]C101040123450000X9", "bad_ai_value"),
        ("0104012345000009" + "10" + "L" * 21, "bad_ai_value"),
        ("0104012345000009" + "10LOT A", "bad_ai_value"),
        ("0104012345000009" + "301234567890", "bad_ai_value"),
        ("0104012345000009" + "17261331", "bad_date"),
        ("0104012345000009" + "17270229", "bad_date"),
        ("0104012345000009" + "17260431", "bad_date"),
        ("(01", "bad_hri"),
        ("(01)04012345000009x(10)A", "bad_ai_value"),
        ("(01)04012345000009)(", "bad_hri"),
        (f"0104012345000009{GS}0105012345000006", "duplicate_ai"),
        ("]C110LOT-A", "missing_gtin"),
    ],
)
def test_error_codes(code, error):
    """Every error code is returned as a value, with a human detail and no data."""
    result = gs1.parse_scan(code)
    assert not result.ok, result
    assert result.error == error, result
    assert error in gs1.ERROR_CODES, f"{error} is not documented in ERROR_CODES"
    assert isinstance(result.error_detail, str) and result.error_detail, result
    assert all(getattr(result, key) is None for key in FIELDS[3:]), result


def test_every_documented_error_code_is_tested():
    """The table of error codes and the test above cover each other."""
    tested = {"empty", "not_text", "bad_symbology", "not_numeric", "bad_length"}
    tested |= {"bad_check_digit", "unknown_ai", "bad_ai_value", "bad_date", "bad_hri"}
    tested |= {"duplicate_ai", "missing_gtin"}
    assert set(gs1.ERROR_CODES) == tested


def test_same_ai_twice_with_same_value_is_fine():
    """A repeated AI with an identical value is not an error."""
    assert gs1.parse_scan(f"0104012345000009{GS}0104012345000009").ok


def test_error_details_are_precise():
    """error_detail says what was wrong and what was expected."""
    assert gs1.parse_scan("4012345000008").error_detail == (
        "GTIN 4012345000008: check digit should be 9"
    )
    assert gs1.parse_scan("(01)0401234500000").error_detail == (
        "AI (01) needs 14 characters, got 13"
    )


def test_result_object():
    """Results have the documented attributes, as_dict, equality and a readable repr."""
    result = gs1.parse_scan("(01)04012345000009(10)LOT-A(17)261231")
    assert isinstance(result, gs1.ScanResult)
    assert tuple(result.as_dict()) == FIELDS
    assert result == gs1.parse_scan(f"]C10104012345000009{GS}10LOT-A{GS}17261231")
    assert result != gs1.parse_scan("4012345000009")
    assert "LOT-A" in repr(result)
    assert "bad_check_digit" in repr(gs1.parse_scan("4012345000008"))


def test_result_is_read_only_when_compiled():
    """The compiled ScanResult refuses writes (the twin is read-only by convention)."""
    if gs1.implementation() != "cython":
        pytest.skip("only the compiled ScanResult enforces read-only attributes")
    with pytest.raises(AttributeError):
        gs1.parse_scan("4012345000009").ok = False


def test_parse_many_keeps_order():
    """parse_many returns one result per code, in order."""
    codes = ["4012345000009", "bad", "96385074"]
    results = gs1.parse_many(codes)
    assert [r.as_dict() for r in results] == [gs1.parse_scan(c).as_dict() for c in codes]
    assert gs1.parse_many(iter(codes))[2].kind == "ean8"
    assert gs1.parse_many([]) == []


@pytest.mark.parametrize(
    ("digits", "check"),
    [("401234500000", 9), ("03600029145", 2), ("9638507", 4), ("1001234500001", 7)],
)
def test_gtin_check_digit(digits, check):
    """gtin_check_digit gives the GS1 mod-10 digit of a GTIN body."""
    assert gs1.gtin_check_digit(digits) == check


@pytest.mark.parametrize("bad", ["", "12a", None, 12])
def test_gtin_check_digit_rejects_non_digits(bad):
    """gtin_check_digit raises ValueError on anything but ASCII digits."""
    with pytest.raises(ValueError):
        gs1.gtin_check_digit(bad)


def test_normalise_gtin():
    """normalise_gtin zero-pads GTIN-8/12/13/14 to 14 digits."""
    assert gs1.normalise_gtin("96385074") == "00000096385074"
    assert gs1.normalise_gtin("036000291452") == "00036000291452"
    assert gs1.normalise_gtin(" 4012345000009 ") == "04012345000009"
    assert gs1.normalise_gtin("10012345000017") == "10012345000017"
    for bad in ("12345", "40123450000X9", "", None, "123456789012345"):
        with pytest.raises(ValueError):
            gs1.normalise_gtin(bad)


def test_ai_table():
    """The AI table knows the AIs the stage extracts, with their GS1 formats."""
    assert gs1.AI_FORMATS["01"] == (14, 14, True)
    assert gs1.AI_FORMATS["10"] == (1, 20, False)
    assert gs1.AI_FORMATS["17"] == (6, 6, True)
    assert gs1.AI_FORMATS["21"] == (1, 20, False)
    assert gs1.AI_FORMATS["30"] == (1, 8, True)
    assert gs1.AI_FORMATS["37"] == (1, 8, True)
    ais = sorted(gs1.AI_FORMATS)
    for ai in ais:
        assert not any(other != ai and other.startswith(ai) for other in ais), (
            f"AI {ai} is a prefix of another AI: element strings would be ambiguous"
        )
