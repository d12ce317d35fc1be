# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Decode a barcode scan into a GTIN (+ lot, serial, expiry, count): compiled twin.

What it is: the ``gs1`` decode stage, compiled. ``ingest_core/decode/fallback/gs1.py`` is
its pure-Python twin and the reference for behaviour: the module docstring
there describes the input forms, the routing rules, the AI table and the error
codes. Both export the same names and give the same results (the differential
test in ``tests/test_gs1_differential.py`` holds them, and both, against biip).

How it works: the same algorithm as the twin, with the per-character work (digit
tests, mod-10, GS1 character set, dates) done on ``Py_UCS4`` in C, and results
created without ``__init__`` from a free list.

Caveats: keep the two files in step; ``AI_FORMATS`` and the error texts must
stay identical (a test compares the tables and every output).
"""

cimport cython

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

ERROR_CODES = {
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

cdef Py_UCS4 _GS = 0x1D
cdef str _GS_STR = "\x1d"
cdef tuple _PADS = tuple("0" * (14 - n) if n <= 14 else "" for n in range(15))
cdef dict _PLAIN_KINDS = {8: "ean8", 12: "upca", 13: "ean13", 14: "gtin14"}
cdef frozenset _GS1_SYMBOLOGIES = frozenset({"C1", "e0", "e1", "e2", "d2", "Q3", "J1"})
cdef frozenset _GTIN_SYMBOLOGIES = frozenset({"E0", "E1", "E2", "E3", "E4", "I1"})
cdef str _KIND_GS1 = "gs1"

# Same table, same syntax as the pure twin (a test asserts equal AI_FORMATS).
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


@cython.wraparound(True)
@cython.boundscheck(True)
def _build_ai_formats(table):
    formats = {}
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


AI_FORMATS = _build_ai_formats(_AI_TABLE)
cdef dict _AI_FORMATS = AI_FORMATS

cdef int _THIS_YEAR = time.gmtime().tm_year


@cython.freelist(64)
cdef class ScanResult:
    """One decoded scan. ``ok`` False means ``error``/``error_detail`` say why."""

    cdef readonly bint ok
    cdef readonly object error
    cdef readonly object error_detail
    cdef readonly object kind
    cdef readonly object gtin
    cdef readonly object raw_barcode
    cdef readonly object lot
    cdef readonly object serial
    cdef readonly object expiry
    cdef readonly object count
    cdef readonly object content_gtin

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

    def as_dict(self):
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

    def __repr__(self):
        if self.ok:
            fields = [f"{k}={v!r}" for k, v in self.as_dict().items() if v is not None]
        else:
            fields = [f"error={self.error!r}", f"error_detail={self.error_detail!r}"]
        return f"ScanResult({', '.join(fields)})"

    def __eq__(self, other):
        if not isinstance(other, ScanResult):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    __hash__ = None


cdef inline ScanResult _success(
    str kind, str gtin, object raw_barcode, object lot, object serial,
    object expiry, object count, object content_gtin,
):
    cdef ScanResult result = ScanResult.__new__(ScanResult)
    result.ok = True
    result.error = None
    result.error_detail = None
    result.kind = kind
    result.gtin = gtin
    result.raw_barcode = raw_barcode
    result.lot = lot
    result.serial = serial
    result.expiry = expiry
    result.count = count
    result.content_gtin = content_gtin
    return result


cdef ScanResult _failure(str error, str detail):
    cdef ScanResult result = ScanResult.__new__(ScanResult)
    result.ok = False
    result.error = error
    result.error_detail = detail
    result.kind = None
    result.gtin = None
    result.raw_barcode = None
    result.lot = None
    result.serial = None
    result.expiry = None
    result.count = None
    result.content_gtin = None
    return result


cdef inline bint _is_digits(str text, Py_ssize_t start, Py_ssize_t end):
    cdef Py_ssize_t i
    cdef Py_UCS4 c
    for i in range(start, end):
        c = text[i]
        if c < 48 or c > 57:
            return False
    return True


cdef inline bint _in_cset82(Py_UCS4 c):
    # ! " %..? A-Z _ a-z  (GS1 AI encodable character set 82)
    return (
        c == 33 or c == 34 or (37 <= c <= 63) or (65 <= c <= 90) or c == 95
        or (97 <= c <= 122)
    )


cdef inline int _mod10(str text, Py_ssize_t start, Py_ssize_t end):
    """GS1 mod-10 check digit of text[start:end] (ASCII digits, check excluded)."""
    cdef int total = 0
    cdef int weight = 3
    cdef Py_ssize_t i = end - 1
    while i >= start:
        total += weight * (<int>text[i] - 48)
        weight = 4 - weight
        i -= 1
    return (10 - total % 10) % 10


def gtin_check_digit(digits):
    """GS1 mod-10 check digit of ``digits`` (the GTIN without its check digit)."""
    if not isinstance(digits, str) or not digits or not _is_digits(digits, 0, len(digits)):
        raise ValueError(f"gtin_check_digit needs ASCII digits, got {digits!r}")
    return _mod10(digits, 0, len(digits))


def normalise_gtin(gtin):
    """``gtin`` (8, 12, 13 or 14 digits) zero-padded to GTIN-14; check digit not verified."""
    cdef str text
    if isinstance(gtin, str):
        text = gtin.strip()
        if len(text) in _PLAIN_KINDS and _is_digits(text, 0, len(text)):
            return _PADS[len(text)] + text
    raise ValueError(f"not a GTIN-8/12/13/14: {gtin!r}")


def parse_many(codes):
    """``parse_scan`` of every code, in order."""
    return [_parse_scan(code) for code in codes]


def parse_scan(code):
    """Decode one scanned code; never raises for bad input."""
    return _parse_scan(code)


cdef ScanResult _parse_scan(object code):
    cdef str text
    cdef str symbology = None
    cdef Py_UCS4 c
    if not isinstance(code, str):
        if code is None:
            return _failure("empty", "no code")
        return _failure("not_text", f"code is {type(code).__name__}, not str")
    text = code.strip()
    if len(text) == 0:
        return _failure("empty", "blank code")
    if text[0] == "]":
        if len(text) < 3:
            return _failure("bad_symbology", f"{text[:3]!r} is not a symbology identifier")
        c = text[1]
        if not ((65 <= c <= 90) or (97 <= c <= 122)):
            return _failure("bad_symbology", f"{text[:3]!r} is not a symbology identifier")
        symbology = text[1:3]
        text = text[3:].lstrip(_GS_STR)
        if len(text) == 0:
            return _failure("empty", f"only the symbology identifier ]{symbology}")
    if text[0] == "(":
        return _parse_hri(text)
    if symbology is not None and symbology in _GS1_SYMBOLOGIES:
        return _parse_element_string(text)
    if len(text) <= 14 or (symbology is not None and symbology in _GTIN_SYMBOLOGIES):
        return _parse_plain(text)
    return _parse_element_string(text)


cdef ScanResult _parse_plain(str text):
    cdef Py_ssize_t size = len(text)
    cdef int expected
    if not _is_digits(text, 0, size):
        return _failure("not_numeric", f"{text!r} is not all digits")
    if size != 8 and size != 12 and size != 13 and size != 14:
        return _failure("bad_length", f"{size} digits; a GTIN has 8, 12, 13 or 14")
    expected = _mod10(text, 0, size - 1)
    if <int>text[size - 1] - 48 != expected:
        return _failure("bad_check_digit", f"GTIN {text}: check digit should be {expected}")
    return _success(
        _PLAIN_KINDS[size], _PADS[size] + text, text, None, None, None, None, None
    )


cdef ScanResult _parse_element_string(str text):
    cdef list pairs = []
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t end
    cdef Py_ssize_t end_of_text = len(text)
    cdef int width, low, high
    cdef object spec
    cdef str ai
    while pos < end_of_text:
        if text[pos] == _GS:
            pos += 1
            continue
        spec = None
        for width in range(2, 5):
            ai = text[pos:pos + width]
            spec = _AI_FORMATS.get(ai)
            if spec is not None:
                break
        if spec is None:
            return _failure("unknown_ai", f"no GS1 AI starts {text[pos : pos + 4]!r}")
        pos += len(ai)
        low = (<tuple>spec)[0]
        high = (<tuple>spec)[1]
        if low == high:
            end = pos + low
        else:
            end = text.find(_GS_STR, pos)
            if end < 0:
                end = end_of_text
        pairs.append((ai, text[pos:end]))
        pos = end
    return _interpret(pairs)


cdef ScanResult _parse_hri(str text):
    cdef list pairs = []
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t close, end, end_of_text
    cdef str ai
    text = "".join(text.split())
    end_of_text = len(text)
    while pos < end_of_text:
        if text[pos] != "(":
            return _failure("bad_hri", f"expected '(' at {text[pos : pos + 8]!r}")
        close = text.find(")", pos)
        if close < 0:
            return _failure("bad_hri", f"unclosed '(' at {text[pos : pos + 8]!r}")
        ai = text[pos + 1:close]
        if ai not in _AI_FORMATS:
            return _failure("unknown_ai", f"no GS1 AI ({ai})")
        end = text.find("(", close)
        if end < 0:
            end = end_of_text
        pairs.append((ai, text[close + 1:end]))
        pos = end
    return _interpret(pairs)


cdef ScanResult _interpret(list pairs):
    cdef object gtin = None, lot = None, serial = None, expiry = None
    cdef object count = None, content_gtin = None
    cdef dict seen = {}
    cdef str ai, value, wanted
    cdef object previous
    cdef tuple spec
    cdef Py_ssize_t size, i
    cdef int low, high, expected
    cdef long number
    for pair in pairs:
        ai = (<tuple>pair)[0]
        value = (<tuple>pair)[1]
        spec = <tuple>_AI_FORMATS[ai]
        low = spec[0]
        high = spec[1]
        size = len(value)
        if size < low or size > high:
            wanted = str(low) if low == high else f"{low} to {high}"
            return _failure("bad_ai_value", f"AI ({ai}) needs {wanted} characters, got {size}")
        if spec[2]:
            if not _is_digits(value, 0, size):
                return _failure("bad_ai_value", f"AI ({ai}) must be digits: {value!r}")
        else:
            for i in range(size):
                if not _in_cset82(value[i]):
                    return _failure(
                        "bad_ai_value", f"AI ({ai}) has a character outside GS1: {value!r}"
                    )
        previous = seen.setdefault(ai, value)
        if previous != value:
            return _failure("duplicate_ai", f"AI ({ai}) twice: {previous!r} and {value!r}")
        if ai == "01" or ai == "02":
            expected = _mod10(value, 0, 13)
            if <int>value[13] - 48 != expected:
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
            number = 0
            for i in range(size):
                number = number * 10 + (<int>value[i] - 48)
            count = number
    if gtin is None and content_gtin is None:
        return _failure("missing_gtin", "element string has no AI (01) or (02)")
    return _success(_KIND_GS1, gtin, None, lot, serial, expiry, count, content_gtin)


cdef inline int _two_digits(str value, Py_ssize_t at):
    return (<int>value[at] - 48) * 10 + (<int>value[at + 1] - 48)


cdef int _days_in_month(int year, int month):
    if month == 2:
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            return 29
        return 28
    if month == 4 or month == 6 or month == 9 or month == 11:
        return 30
    return 31


cdef object _expiry_date(str value):
    """ISO date of a GS1 YYMMDD (day 00 = last day of the month), or None."""
    cdef int two_digit_year = _two_digits(value, 0)
    cdef int month = _two_digits(value, 2)
    cdef int day = _two_digits(value, 4)
    cdef int year = _THIS_YEAR - _THIS_YEAR % 100 + two_digit_year
    cdef int last_day
    if year - _THIS_YEAR >= 51:
        year -= 100
    elif year - _THIS_YEAR <= -50:
        year += 100
    if month < 1 or month > 12:
        return None
    last_day = _days_in_month(year, month)
    if day == 0:
        day = last_day
    elif day > last_day:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"
