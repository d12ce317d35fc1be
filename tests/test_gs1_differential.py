"""Differential tests of the ``gs1`` stage: both twins against biip, and against each other.

biip (the well-kept GS1 library the decision record measured) is the oracle for
what a code means: GTIN, lot, serial, expiry, count, content GTIN and whether a
check digit or a date is wrong. hypothesis generates the codes. The compiled
module (``ingest_core.decode._speedups.gs1``) and the pure twin
(``ingest_core.decode.fallback.gs1``) are imported directly and must give identical
results on any text at all.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import biip
import pytest
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_core.decode.fallback import gs1 as pure

try:
    from ingest_core.decode._speedups import gs1 as compiled
except ImportError:  # no C compiler at build time: the twin alone is tested
    compiled = None

GS = "\x1d"
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
IMPLEMENTATIONS = [pytest.param(pure, id="pure")] + (
    [pytest.param(compiled, id="compiled")] if compiled is not None else []
)
needs_compiled = pytest.mark.skipif(
    compiled is None,
    reason="ingest_core.decode._speedups.gs1 is not built "
    "(run `.venv/bin/python setup.py build_ext --inplace`); nothing to compare the twin with",
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


@st.composite
def gtins(draw, lengths=(8, 12, 13, 14)):
    """(gtin, check digit correct?) with a wrong check digit one time in four."""
    length = draw(st.sampled_from(lengths))
    body = draw(st.text("0123456789", min_size=length - 1, max_size=length - 1))
    check = _check_digit(body)
    if draw(st.integers(0, 3)) == 0:
        wrong = draw(st.sampled_from([d for d in "0123456789" if d != check]))
        return body + wrong, False
    return body + check, True


@st.composite
def yymmdd(draw, valid=True):
    """A GS1 date; ``valid=False`` gives any six digits."""
    if not valid:
        return draw(st.text("0123456789", min_size=6, max_size=6))
    year = draw(st.integers(0, 99))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(0, 28 if month == 2 else 30))
    return f"{year:02d}{month:02d}{day:02d}"


@st.composite
def element_lists(draw, hri=False):
    """A list of (AI, value) with 01 or 02 first, then a subset of 10 17 21 30/37."""
    gtin, _ = draw(gtins(lengths=(14,)))
    pairs = [(draw(st.sampled_from(["01", "02"])), gtin)]
    alphabet = CSET82.replace("(", "").replace(")", "") if hri else CSET82
    optional = {
        "10": st.text(alphabet, min_size=1, max_size=20),
        "21": st.text(alphabet, min_size=1, max_size=20),
        "17": st.one_of(yymmdd(), yymmdd(valid=False)),
        "30": st.text("0123456789", min_size=1, max_size=8),
        "37": st.text("0123456789", min_size=1, max_size=8),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=4))
    if "30" in chosen and "37" in chosen:
        chosen.remove("30")
    pairs += [(ai, draw(optional[ai])) for ai in chosen]
    return draw(st.permutations(pairs))


def _element_string(pairs, separators_everywhere: bool) -> str:
    parts = []
    for index, (ai, value) in enumerate(pairs):
        low, high, _ = pure.AI_FORMATS[ai]
        last = index == len(pairs) - 1
        needs_gs = low != high or separators_everywhere
        parts.append(ai + value + ("" if last or not needs_gs else GS))
    return "".join(parts)


def _biip_verdict(message: GS1Message | None, error: str | None, pairs) -> tuple[dict, set]:
    """(fields, errors) biip gives; a code with several faults may report any one of them.

    biip rejects a whole message for a bad date but only flags a bad check digit on
    its element, so the GTINs are also checked one by one with ``Gtin.parse``.
    """
    errors = set()
    for ai, value in pairs:
        if ai in ("01", "02"):
            try:
                Gtin.parse(value)
            except biip.ParseError:
                errors.add("bad_check_digit")
    if message is None:
        errors.add("bad_date" if "(17)" in error else f"biip: {error}")
        return {}, errors
    found = message.element_strings
    expected = {"error": None}
    for ai, key in (("01", "gtin"), ("02", "content_gtin")):
        element = found.get(ai=ai)
        if element is not None and element.gtin is None:
            errors.add("bad_check_digit")
        expected[key] = element.gtin.as_gtin_14() if element and element.gtin else None
    for ai, key in (("10", "lot"), ("21", "serial")):
        element = found.get(ai=ai)
        expected[key] = element.value if element else None
    element = found.get(ai="17")
    expected["expiry"] = element.date.isoformat() if element else None
    element = found.get(ai="37") or found.get(ai="30")
    expected["count"] = int(element.value) if element else None
    return expected, errors


def _assert_matches(result, message, error, pairs, code) -> None:
    expected, errors = _biip_verdict(message, error, pairs)
    if errors:
        assert not result.ok and result.error in errors, (code, result, errors)
    else:
        assert _ours(result) == expected, repr(code)


def _ours(result) -> dict:
    if not result.ok:
        return {"error": result.error}
    fields = result.as_dict()
    return {
        key: fields[key]
        for key in ("error", "gtin", "content_gtin", "lot", "serial", "expiry", "count")
    }


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@SETTINGS
@given(data=gtins(), prefix=st.sampled_from(["", "]E0", "]E4", "]I1", " "]))
def test_plain_gtin_matches_biip(impl, data, prefix):
    """Plain EAN-8/UPC-A/EAN-13/GTIN-14: same GTIN-14 and same check-digit verdict as biip."""
    code, valid = data
    reference = biip.parse(prefix + code)
    result = impl.parse_scan(prefix + code)
    if not valid and len(code) == 8 and reference.upc is not None:
        # biip falls back to reading it as a UPC-E; we do not expand UPC-E (see the
        # decision record), so an 8-digit code is an EAN-8 with a wrong check digit.
        assert result.error == "bad_check_digit", (code, result)
    elif reference.gtin is not None:
        assert result.ok, (code, result)
        assert result.gtin == reference.gtin.as_gtin_14()
        assert result.raw_barcode == code
        assert result.kind == {8: "ean8", 12: "upca", 13: "ean13", 14: "gtin14"}[len(code)]
    else:
        assert not valid, f"biip rejects a valid GTIN {code}: {reference.gtin_error}"
        assert "check digit" in reference.gtin_error
        assert result.error == "bad_check_digit", (code, result)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@SETTINGS
@given(
    pairs=element_lists(),
    prefix=st.sampled_from(["]C1", "]d2", "]Q3", "]e0", ""]),
    separators_everywhere=st.booleans(),
)
def test_element_strings_match_biip(impl, pairs, prefix, separators_everywhere):
    """GS1-128 / DataMatrix element strings: same fields and verdicts as biip."""
    code = prefix + _element_string(pairs, separators_everywhere)
    reference = biip.parse(code)
    result = impl.parse_scan(code)
    _assert_matches(result, reference.gs1_message, reference.gs1_message_error, pairs, code)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@SETTINGS
@given(pairs=element_lists(hri=True), spaced=st.booleans())
def test_hri_form_matches_biip(impl, pairs, spaced):
    """The human-readable "(01)...(10)..." form: same fields and verdicts as biip."""
    joiner = " " if spaced else ""
    code = joiner.join(f"({ai}){value}" for ai, value in pairs)
    try:
        message, error = GS1Message.parse_hri(code), None
    except biip.ParseError as exc:
        message, error = None, str(exc)
    _assert_matches(impl.parse_scan(code), message, error, pairs, code)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@SETTINGS
@given(body=st.text("0123456789", min_size=1, max_size=20))
def test_check_digit_matches_biip(impl, body):
    """gtin_check_digit agrees with biip's GS1 mod-10."""
    from biip.checksums import gs1_standard_check_digit

    assert impl.gtin_check_digit(body) == int(gs1_standard_check_digit(body))


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_expiry_century_window_matches_biip(impl):
    """Every two-digit year lands in the century biip (GS1 GenSpecs 7.12) puts it in."""
    for year in range(100):
        code = f"010401234500000917{year:02d}0100"
        reference = biip.parse(code).gs1_message.element_strings.get(ai="17").date
        last = calendar.monthrange(reference.year, 1)[1]
        assert reference == dt.date(reference.year, 1, last)
        assert impl.parse_scan(code).expiry == reference.isoformat(), code


def test_ai_table_agrees_with_biip():
    """Each AI in our table exists in biip with values of our min/max length, not longer."""
    for ai, (low, high, numeric) in pure.AI_FORMATS.items():
        reference = GS1ApplicationIdentifier.extract(ai)
        assert reference.ai == ai, f"biip does not know AI {ai}"
        pattern = reference.pattern
        for size in {low, high}:
            assert re.fullmatch(pattern, ai + "0" * size), f"AI {ai}: {size} chars ({pattern})"
        assert not re.fullmatch(pattern, ai + "0" * (high + 1)), f"AI {ai}: max is {high}"
        if numeric:
            assert not re.fullmatch(pattern, ai + "A" * high), f"AI {ai} is not numeric"


@needs_compiled
def test_twins_export_the_same_names_and_tables():
    """The compiled module and the twin export the same names, AI table and error codes."""
    assert compiled.__all__ == pure.__all__
    assert compiled.AI_FORMATS == pure.AI_FORMATS
    assert compiled.ERROR_CODES == pure.ERROR_CODES


def _same(code) -> None:
    got, want = compiled.parse_scan(code), pure.parse_scan(code)
    assert got.as_dict() == want.as_dict(), repr(code)


scanner_text = st.text(
    st.sampled_from(list("0123456789") * 4 + [GS, "(", ")", "]", " ", "A", "C", "E", "d", "-"]),
    max_size=60,
)


@needs_compiled
@SETTINGS
@given(code=st.one_of(scanner_text, st.text(max_size=40)))
def test_twins_agree_on_any_text(code):
    """Compiled and pure give identical results on arbitrary, scanner-like text."""
    _same(code)
    _same("]C1" + code)
    _same("01" + "04012345000009" + code)
    _same("(01)04012345000009" + code)


@needs_compiled
@SETTINGS
@given(
    ai=st.sampled_from(sorted(pure.AI_FORMATS)),
    value=st.text(st.sampled_from(list("0123456789") + list("AZaz-/_ ") + [GS]), max_size=95),
    gtin=gtins(lengths=(14,)),
)
def test_twins_agree_on_every_ai(ai, value, gtin):
    """Every AI of the table, any value: compiled and pure agree."""
    _same("01" + gtin[0] + ai + value)
    _same(f"(01){gtin[0]}({ai}){value}")


@needs_compiled
def test_twins_agree_on_special_inputs():
    """Non-text input, blanks and symbology-only codes: compiled and pure agree."""
    for code in (None, 0, 4012345000009, b"4012345000009", [], "", " ", "]", "]C", "]C1", GS):
        _same(code)
    assert compiled.parse_many(["4012345000009", "x"])[1].as_dict() == (
        pure.parse_many(["4012345000009", "x"])[1].as_dict()
    )
    for bad in ("", "1a", None):
        with pytest.raises(ValueError):
            compiled.gtin_check_digit(bad)
        with pytest.raises(ValueError):
            compiled.normalise_gtin(bad)
