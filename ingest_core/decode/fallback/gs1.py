"""Decode a barcode scan into a GTIN (+ lot, serial, expiry, count): pure-Python twin.

What it is: the ``gs1`` decode stage for codes from store barcode scanners. Input
is the code as scanned: EAN-8, UPC-A, EAN-13, GTIN-14, or a GS1 element string
(GS1-128, GS1 DataMatrix/QR/DataBar) with FNC1 sent as ASCII 29 (GS), or the
human-readable "(01)...(10)..." form, each with or without a symbology
identifier (``]C1``, ``]d2``, ``]E0``...). Output is one :class:`ScanResult` per
scan. ``ingest_core/decode/_speedups/gs1.pyx`` is the compiled twin: same names, same
results (a differential test holds them, and both, against biip).

How it works: surrounding whitespace (CR/LF from the scanner) is stripped and a
symbology identifier, when present, decides the route: ``]C1 ]e0 ]d2 ]Q3 ]J1``
declare GS1 element strings, ``]E* ]I1`` a plain GTIN, any other leaves the
choice to the shape of the code. Without a GS1 identifier a code of at most 14
characters is a plain GTIN (length 8/12/13/14, mod-10 check digit verified);
a longer one is an element string; one opening with "(" is the HRI form.
Element strings are cut with the AI table :data:`AI_FORMATS` (AI -> min length,
max length, numeric): fixed-length AIs take their length, variable ones run to
the next GS or the end. AIs 01/02 (check digit verified), 10, 17, 21, 30 and
37 fill the result; the other known AIs are checked and ignored.

Errors are values: ``ok`` is False and ``error`` is one of :data:`ERROR_CODES`
with ``error_detail`` for humans; every data field is then None. Why measured
code instead of biip: see ``docs/decisions/gs1-decoding.md``.

Caveats: UPC-E (zero-suppressed) and restricted-circulation (variable measure,
prefix 2) numbers are returned as the GTIN scanned, not expanded or priced. Two
digit years follow GS1's sliding window (GenSpecs 7.12) around the year the
module was imported. HRI values run to the next "(" as in biip, so a lot
containing "(" cannot be written in HRI form. ``ScanResult`` here is a plain
``__slots__`` class: treat it as read-only (the compiled one enforces it).
"""

from __future__ import annotations

import calendar
import time

__all__ = [
    "AI_FORMATS",
    "ERROR_CODES",
    "ScanResult",
    "gtin_check_digit",
    "normalise_gtin",
    "parse_many",
    "parse_scan",
]

#: Error codes a result can carry, with what they mean.
ERROR_CODES: dict[str, str] = {
    "empty": "nothing left to decode (blank, or only a symbology identifier)",
    "not_text": "the code is not a string",
    "bad_symbology": "a ']' that does not start a symbology identifier",
    "not_numeric": "a plain GTIN with a non-digit character",
    "bad_length": "a plain GTIN that is not 8, 12, 13 or 14 digits",
    "bad_check_digit": "a GTIN (plain, AI 01 or AI 02) whose mod-10 check digit is wrong",
    "unknown_ai": "an element string with an application identifier not in AI_FORMATS",
    "bad_ai_value": "an AI value of the wrong length or character set",
    "bad_date": "an AI 17 expiry that is not a calendar date",
    "bad_hri": "a '(AI)value' form that is not well formed",
    "duplicate_ai": "the same AI twice with different values",
    "missing_gtin": "an element string without AI 01 or AI 02",
}

_GS = "\x1d"
#: GS1 AI encodable character set 82 (GenSpecs figure 7.11-1).
_CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
_PLAIN_KINDS = {8: "ean8", 12: "upca", 13: "ean13", 14: "gtin14"}
_GS1_SYMBOLOGIES = frozenset({"C1", "e0", "e1", "e2", "d2", "Q3", "J1"})
_GTIN_SYMBOLOGIES = frozenset({"E0", "E1", "E2", "E3", "E4", "I1"})

# One line a family: "AI[-AI]  N|X  min-max" (fixed length when min == max).
# Ranges expand over the last digit (3100-3105 = 3100..3105).
_AI_TABLE = """
00 N 18-18
01 N 14-14
02 N 14-14
03 N 14-14
10 X 1-20
11 N 6-6
12 N 6-6
13 N 6-6
15 N 6-6
16 N 6-6
17 N 6-6
20 N 2-2
21 X 1-20
22 X 1-20
235 X 1-28
240-241 X 1-30
242 N 1-6
243 X 1-20
250-251 X 1-30
253 X 13-30
254 X 1-20
255 N 13-25
30 N 1-8
37 N 1-8
3100-3105 N 6-6
3110-3115 N 6-6
3120-3125 N 6-6
3130-3135 N 6-6
3140-3145 N 6-6
3150-3155 N 6-6
3160-3165 N 6-6
3200-3205 N 6-6
3300-3305 N 6-6
3400-3405 N 6-6
3500-3505 N 6-6
3600-3605 N 6-6
3900-3909 N 1-15
3910-3919 N 4-18
3920-3929 N 1-15
3930-3939 N 4-18
400-401 X 1-30
402 N 17-17
403 X 1-30
410-417 N 13-13
420 X 1-20
421 X 4-12
422 N 3-3
423 N 3-15
424 N 3-3
425 N 3-15
426 N 3-3
427 X 1-3
7001 N 13-13
7002 X 1-30
7003 N 10-10
7004 N 1-4
7005 X 1-12
7006 N 6-6
7007 N 6-12
7008 X 1-3
7009 X 1-10
7010 X 1-2
7011 N 6-10
7020 X 1-20
710-717 X 1-20
7240 X 1-20
8001 N 14-14
8002 X 1-20
8003 X 14-30
8004 X 1-30
8005 N 6-6
8006 N 18-18
8007 X 1-34
8008 N 8-12
8009 X 1-50
8011 N 1-12
8012 X 1-20
8013 X 1-25
8017 N 18-18
8019 N 1-10
8020 X 1-25
8026 N 18-18
8110 X 1-70
8111 N 4-4
8112 X 1-70
8200 X 1-70
90 X 1-30
91-99 X 1-90
"""


def _build_ai_formats(table: str) -> dict[str, tuple[int, int, bool]]:
    formats: dict[str, tuple[int, int, bool]] = {}
    for line in table.split("\n"):
        if not line.strip():
            continue
        ais, charset, lengths = line.split()
        first, _, last = ais.partition("-")
        low, _, high = lengths.partition("-")
        stem = first[:-1]
        for final in range(int(first[-1]), int((last or first)[-1]) + 1):
            formats[f"{stem}{final}"] = (int(low), int(high), charset == "N")
    return formats


#: AI -> (min length, max length, numeric only). AIs are prefix-free.
AI_FORMATS: dict[str, tuple[int, int, bool]] = _build_ai_formats(_AI_TABLE)

_THIS_YEAR = time.gmtime().tm_year


class ScanResult:
    """One decoded scan. ``ok`` False means ``error``/``error_detail`` say why."""

    __slots__ = (
        "content_gtin",
        "count",
        "error",
        "error_detail",
        "expiry",
        "gtin",
        "kind",
        "lot",
        "ok",
        "raw_barcode",
        "serial",
    )

    def __init__(
        self,
        ok,
        error,
        error_detail,
        kind,
        gtin,
        raw_barcode,
        lot,
        serial,
        expiry,
        count,
        content_gtin,
    ):
        self.ok = ok
        self.error = error
        self.error_detail = error_detail
        self.kind = kind
        self.gtin = gtin
        self.raw_barcode = raw_barcode
        self.lot = lot
        self.serial = serial
        self.expiry = expiry
        self.count = count
        self.content_gtin = content_gtin

    def as_dict(self) -> dict:
        """The result as a plain dict (same keys in both implementations)."""
        return {
            "ok": self.ok,
            "error": self.error,
            "error_detail": self.error_detail,
            "kind": self.kind,
            "gtin": self.gtin,
            "raw_barcode": self.raw_barcode,
            "lot": self.lot,
            "serial": self.serial,
            "expiry": self.expiry,
            "count": self.count,
            "content_gtin": self.content_gtin,
        }

    def __repr__(self) -> str:
        if self.ok:
            fields = (f"{k}={v!r}" for k, v in self.as_dict().items() if v is not None)
        else:
            fields = (f"error={self.error!r}", f"error_detail={self.error_detail!r}")
        return f"ScanResult({', '.join(fields)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScanResult):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    __hash__ = None


def _failure(error: str, detail: str) -> ScanResult:
    return ScanResult(False, error, detail, None, None, None, None, None, None, None, None)


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _mod10(body: str) -> int:
    """GS1 mod-10 check digit of ``body`` (ASCII digits, check digit excluded)."""
    total = 3 * sum(map(int, body[-1::-2])) + sum(map(int, body[-2::-2]))
    return (10 - total % 10) % 10


def gtin_check_digit(digits: str) -> int:
    """GS1 mod-10 check digit of ``digits`` (the GTIN without its check digit)."""
    if not isinstance(digits, str) or not digits or not _is_digits(digits):
        raise ValueError(f"gtin_check_digit needs ASCII digits, got {digits!r}")
    return _mod10(digits)


def normalise_gtin(gtin: str) -> str:
    """``gtin`` (8, 12, 13 or 14 digits) zero-padded to GTIN-14; check digit not verified."""
    if isinstance(gtin, str):
        text = gtin.strip()
        if len(text) in _PLAIN_KINDS and _is_digits(text):
            return text.zfill(14)
    raise ValueError(f"not a GTIN-8/12/13/14: {gtin!r}")


def parse_many(codes) -> list:
    """``parse_scan`` of every code, in order."""
    return [parse_scan(code) for code in codes]


def parse_scan(code: str) -> ScanResult:
    """Decode one scanned code; never raises for bad input."""
    if type(code) is not str:
        if code is None:
            return _failure("empty", "no code")
        if not isinstance(code, str):
            return _failure("not_text", f"code is {type(code).__name__}, not str")
    text = code.strip()
    if not text:
        return _failure("empty", "blank code")
    symbology = None
    if text[0] == "]":
        if len(text) < 3 or not text[1].isascii() or not text[1].isalpha():
            return _failure("bad_symbology", f"{text[:3]!r} is not a symbology identifier")
        symbology = text[1:3]
        text = text[3:].lstrip(_GS)
        if not text:
            return _failure("empty", f"only the symbology identifier ]{symbology}")
    if text[0] == "(":
        return _parse_hri(text)
    if symbology in _GS1_SYMBOLOGIES:
        return _parse_element_string(text)
    if symbology in _GTIN_SYMBOLOGIES or len(text) <= 14:
        return _parse_plain(text)
    return _parse_element_string(text)


def _parse_plain(text: str) -> ScanResult:
    if not _is_digits(text):
        return _failure("not_numeric", f"{text!r} is not all digits")
    kind = _PLAIN_KINDS.get(len(text))
    if kind is None:
        return _failure("bad_length", f"{len(text)} digits; a GTIN has 8, 12, 13 or 14")
    expected = _mod10(text[:-1])
    if ord(text[-1]) - 48 != expected:
        return _failure("bad_check_digit", f"GTIN {text}: check digit should be {expected}")
    return ScanResult(True, None, None, kind, text.zfill(14), text, None, None, None, None, None)


def _ai_at(text: str, pos: int):
    """(AI, format) of the AI starting at ``pos``, or (None, None)."""
    for width in (2, 3, 4):
        ai = text[pos : pos + width]
        spec = AI_FORMATS.get(ai)
        if spec is not None:
            return ai, spec
    return None, None


def _parse_element_string(text: str) -> ScanResult:
    pairs = []
    pos = 0
    end_of_text = len(text)
    while pos < end_of_text:
        if text[pos] == _GS:
            pos += 1
            continue
        ai, spec = _ai_at(text, pos)
        if ai is None:
            return _failure("unknown_ai", f"no GS1 AI starts {text[pos : pos + 4]!r}")
        pos += len(ai)
        low, high, _numeric = spec
        if low == high:
            end = pos + low
        else:
            end = text.find(_GS, pos)
            if end < 0:
                end = end_of_text
        pairs.append((ai, text[pos:end]))
        pos = end
    return _interpret(pairs)


def _parse_hri(text: str) -> ScanResult:
    text = "".join(text.split())
    pairs = []
    pos = 0
    end_of_text = len(text)
    while pos < end_of_text:
        if text[pos] != "(":
            return _failure("bad_hri", f"expected '(' at {text[pos : pos + 8]!r}")
        close = text.find(")", pos)
        if close < 0:
            return _failure("bad_hri", f"unclosed '(' at {text[pos : pos + 8]!r}")
        ai = text[pos + 1 : close]
        if ai not in AI_FORMATS:
            return _failure("unknown_ai", f"no GS1 AI ({ai})")
        end = text.find("(", close)
        if end < 0:
            end = end_of_text
        pairs.append((ai, text[close + 1 : end]))
        pos = end
    return _interpret(pairs)


def _interpret(pairs: list) -> ScanResult:
    gtin = lot = serial = expiry = count = content_gtin = None
    seen: dict[str, str] = {}
    for ai, value in pairs:
        low, high, numeric = AI_FORMATS[ai]
        size = len(value)
        if size < low or size > high:
            wanted = str(low) if low == high else f"{low} to {high}"
            return _failure("bad_ai_value", f"AI ({ai}) needs {wanted} characters, got {size}")
        if numeric:
            if not _is_digits(value):
                return _failure("bad_ai_value", f"AI ({ai}) must be digits: {value!r}")
        elif not _CSET82.issuperset(value):
            return _failure("bad_ai_value", f"AI ({ai}) has a character outside GS1: {value!r}")
        previous = seen.setdefault(ai, value)
        if previous != value:
            return _failure("duplicate_ai", f"AI ({ai}) twice: {previous!r} and {value!r}")
        if ai == "01" or ai == "02":
            expected = _mod10(value[:13])
            if ord(value[13]) - 48 != expected:
                return _failure(
                    "bad_check_digit", f"AI ({ai}) GTIN {value}: check digit should be {expected}"
                )
            if ai == "01":
                gtin = value
            else:
                content_gtin = value
        elif ai == "10":
            lot = value
        elif ai == "21":
            serial = value
        elif ai == "17":
            expiry = _expiry_date(value)
            if expiry is None:
                return _failure("bad_date", f"AI (17) {value} is not a YYMMDD date")
        elif ai == "37" or (ai == "30" and count is None):
            count = int(value)
    if gtin is None and content_gtin is None:
        return _failure("missing_gtin", "element string has no AI (01) or (02)")
    return ScanResult(True, None, None, "gs1", gtin, None, lot, serial, expiry, count, content_gtin)


def _expiry_date(value: str):
    """ISO date of a GS1 YYMMDD (day 00 = last day of the month), or None."""
    two_digit_year = int(value[0:2])
    month = int(value[2:4])
    day = int(value[4:6])
    year = _THIS_YEAR - _THIS_YEAR % 100 + two_digit_year
    if year - _THIS_YEAR >= 51:
        year -= 100
    elif year - _THIS_YEAR <= -50:
        year += 100
    if month < 1 or month > 12:
        return None
    last_day = calendar.monthrange(year, month)[1]
    if day == 0:
        day = last_day
    elif day > last_day:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"
