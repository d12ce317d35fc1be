"""EPC binary decoding (GS1 EPC Tag Data Standard 2.0), pure-Python twin.

What it is: the reference implementation of the ``epc`` hot-path stage; the
Cython module ``ingest_core.decode._speedups.epc`` exports the same names and must
give identical results (a differential test holds them together).

How it works: the input (hex, with or without spaces, any case; or base64 as
Impinj readers send it) becomes one big integer, and fields are read from it
by bit position. The header selects a layout: the partition-table schemes
(SGTIN-96/198, SSCC-96, SGLN-96/195, GRAI-96/170, GIAI-96/202) or the TDS 2.0
``+AIDC`` schemes SGTIN+ and DSGTIN+. Every failure is a value: an
``EpcResult`` with ``ok=False`` and an ``error`` code from ``ERRORS``.

Caveats: ``not_gs1`` means the header is not a GS1 EPC header (unprogrammed
or proprietary tags) and is counted as "unknown tag", never as stock;
``unsupported_scheme`` is a GS1 header this stage does not decode (GID, GDTI,
SGLN+...). URN Code 40 strings inside ``+AIDC`` data are reported as
``unsupported_encoding``. Trailing bits beyond a fixed-size scheme (word
padding sent by readers) are ignored.
"""

from __future__ import annotations

import binascii

FIELDS = (
    "ok",
    "error",
    "scheme",
    "filter",
    "company_prefix",
    "reference",
    "serial",
    "gtin",
    "gs1_key",
    "uri",
    "tag_uri",
    "element_string",
    "lot",
    "date",
    "date_ai",
    "aidc",
    "epc_hex",
)

#: Every error code either implementation returns.
ERRORS = (
    "empty",
    "bad_hex",
    "bad_base64",
    "not_gs1",
    "unsupported_scheme",
    "truncated",
    "bad_partition",
    "bad_company_prefix",
    "bad_reference",
    "bad_serial",
    "bad_check",
    "bad_encoding",
    "unsupported_encoding",
    "bad_date",
    "too_long",
)

#: Longest EPC accepted, in bits (the EPC bank holds at most 496).
MAX_BITS = 1024

# Headers assigned by GS1 (TDS 2.0 table 14-1 ranges) that this stage does not decode.
GS1_HEADER_RANGES = ((0x2C, 0x3F), (0xE0, 0xFF))

CP_BITS = (40, 37, 34, 30, 27, 24, 20)
CP_DIGITS = (12, 11, 10, 9, 8, 7, 6)

# header: (scheme, uri name, reference bits by partition, reference digits + company
# prefix digits, serial kind, serial bits, total bits). Serial kinds: "int",
# "str" (7-bit string), "none" (SSCC reserved bits), "giai_int", "giai_str".
SCHEMES = {
    0x30: ("sgtin-96", "sgtin", (4, 7, 10, 14, 17, 20, 24), 13, "int", 38, 96),
    0x36: ("sgtin-198", "sgtin", (4, 7, 10, 14, 17, 20, 24), 13, "str", 140, 198),
    0x31: ("sscc-96", "sscc", (18, 21, 24, 28, 31, 34, 38), 17, "none", 24, 96),
    0x32: ("sgln-96", "sgln", (1, 4, 7, 11, 14, 17, 21), 12, "int", 41, 96),
    0x39: ("sgln-195", "sgln", (1, 4, 7, 11, 14, 17, 21), 12, "str", 140, 195),
    0x33: ("grai-96", "grai", (4, 7, 10, 14, 17, 20, 24), 12, "int", 38, 96),
    0x37: ("grai-170", "grai", (4, 7, 10, 14, 17, 20, 24), 12, "str", 112, 170),
    0x34: ("giai-96", "giai", (42, 45, 48, 52, 55, 58, 62), 25, "giai_int", 0, 96),
    0x38: ("giai-202", "giai", (148, 151, 154, 158, 161, 164, 168), 30, "giai_str", 0, 202),
}

HEADER_SGTIN_PLUS = 0xF7
HEADER_DSGTIN_PLUS = 0xFB
DATE_TYPE_AI = ("11", "13", "15", "16", "17", "7006", "7007")

# GS1 AI encodable character set 82 (the characters allowed in AI 21 and friends).
CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
URI_ESCAPES = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F"}
BASE64_URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
HEX_CHARS = frozenset("0123456789abcdefABCDEF")
WHITESPACE = frozenset(" \t\r\n")

# +AIDC application identifiers this stage decodes: AI -> (kind, size).
AIDC_TABLE = {
    "00": ("digits", 18),
    "01": ("digits", 14),
    "02": ("digits", 14),
    "20": ("int2", 7),
    "8006": ("digits", 18),
    "8017": ("digits", 18),
    "8018": ("digits", 18),
}
AIDC_TABLE.update({ai: ("digits", 13) for ai in ("410", "411", "412", "413", "414", "415")})
AIDC_TABLE.update({ai: ("date", 16) for ai in ("11", "12", "13", "15", "16", "17", "7006")})
TEXT_AIS = "10 21 22 235 240 241 250 251 254 400 401 403 90 7002 7020 7021 7022 7023 8002 8007 8012"
AIDC_TABLE.update({ai: ("text", 5) for ai in TEXT_AIS.split()})
AI_THREE_DIGITS = frozenset(("23", "24", "25", "40", "41", "42", "71"))
AI_FOUR_DIGITS = frozenset(("31", "32", "33", "34", "35", "36", "39", "43", "70", "72", "80"))
AI_FOUR_DIGITS = AI_FOUR_DIGITS | {"81", "82"}


class EpcResult:
    """One decoded EPC. ``ok`` False means ``error`` holds the reason code."""

    __slots__ = FIELDS

    def __init__(
        self,
        ok=False,
        error=None,
        scheme=None,
        filter=None,
        company_prefix=None,
        reference=None,
        serial=None,
        gtin=None,
        gs1_key=None,
        uri=None,
        tag_uri=None,
        element_string=None,
        lot=None,
        date=None,
        date_ai=None,
        aidc=None,
        epc_hex=None,
    ):
        self.ok = ok
        self.error = error
        self.scheme = scheme
        self.filter = filter
        self.company_prefix = company_prefix
        self.reference = reference
        self.serial = serial
        self.gtin = gtin
        self.gs1_key = gs1_key
        self.uri = uri
        self.tag_uri = tag_uri
        self.element_string = element_string
        self.lot = lot
        self.date = date
        self.date_ai = date_ai
        self.aidc = aidc
        self.epc_hex = epc_hex

    def as_dict(self) -> dict:
        """All fields as a plain dict (``aidc`` copied), ready for JSON."""
        data = {name: getattr(self, name) for name in FIELDS}
        if data["aidc"] is not None:
            data["aidc"] = dict(data["aidc"])
        return data

    def __eq__(self, other):
        if not hasattr(other, "as_dict"):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    __hash__ = None

    def __repr__(self):
        if self.ok:
            return f"EpcResult({self.scheme} {self.uri or self.element_string})"
        return f"EpcResult(error={self.error!r})"


def _failure(error: str, epc_hex=None) -> EpcResult:
    return EpcResult(False, error, epc_hex=epc_hex)


def check_digit(digits: str) -> str:
    """GS1 mod-10 check digit of ``digits`` (weights 3,1,3... from the right)."""
    total = 0
    weight = 3
    for char in reversed(digits):
        total += (ord(char) - 48) * weight
        weight = 4 - weight
    return str((10 - total % 10) % 10)


def uri_escape(text: str) -> str:
    """Escape the characters TDS reserves in EPC URIs."""
    return "".join(URI_ESCAPES.get(char, char) for char in text)


def _strip_spaces(text: str) -> str:
    if any(char in WHITESPACE for char in text):
        return "".join(text.split())
    return text


def decode_hex(text: str) -> EpcResult:
    """Decode an EPC given as hex (any case, spaces allowed)."""
    text = _strip_spaces(text)
    if not text:
        return _failure("empty")
    if len(text) % 2 or not all(char in HEX_CHARS for char in text):
        return _failure("bad_hex")
    if len(text) * 4 > MAX_BITS:
        return _failure("too_long")
    epc_hex = text.upper()
    return _decode_value(int(epc_hex, 16), len(epc_hex) * 4, epc_hex)


def decode_base64(text: str) -> EpcResult:
    """Decode an EPC given as base64 (Impinj ``epc`` field): the standard alphabet or the
    URL-safe one (``-``, ``_``; RFC 4648 section 5), padding optional."""
    text = _strip_spaces(text)
    if not text:
        return _failure("empty")
    text = standard_base64(text)
    if text is None:
        return _failure("bad_base64")
    if len(text) % 4 == 1:
        return _failure("bad_base64")
    try:
        raw = binascii.a2b_base64((text + "=" * (-len(text) % 4)).encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return _failure("bad_base64")
    if not raw:
        return _failure("empty")
    if len(raw) * 8 > MAX_BITS:
        return _failure("too_long")
    epc_hex = raw.hex().upper()
    return _decode_value(int(epc_hex, 16), len(raw) * 8, epc_hex)


_URL_SAFE = str.maketrans("-_", "+/")


def standard_base64(text: str) -> str | None:
    """``text`` in the standard base64 alphabet: base64url (``-``, ``_``; RFC 4648 section
    5) translated, standard text as it is; None when it mixes both alphabets (neither).
    One rule for both decode twins and the reader payload parser."""
    if "-" in text or "_" in text:
        if "+" in text or "/" in text:
            return None
        return text.translate(_URL_SAFE)
    return text


def decode_epc(text: str) -> EpcResult:
    """Decode hex or base64: all-hex-digit input is hex, anything else base64."""
    stripped = _strip_spaces(text)
    if stripped and all(char in HEX_CHARS for char in stripped):
        return decode_hex(stripped)
    return decode_base64(stripped)


def decode_many(texts) -> list:
    """``decode_epc`` over a list; one result per input, in order."""
    return [decode_epc(text) for text in texts]


class _Bits:
    __slots__ = ("size", "value")

    def __init__(self, value: int, size: int):
        self.value = value
        self.size = size

    def read(self, position: int, count: int) -> int:
        return (self.value >> (self.size - position - count)) & ((1 << count) - 1)


def _decode_value(value: int, size: int, epc_hex: str) -> EpcResult:
    if size < 8:
        return _failure("truncated", epc_hex)
    bits = _Bits(value, size)
    header = bits.read(0, 8)
    layout = SCHEMES.get(header)
    if layout is not None:
        return _decode_partitioned(bits, layout, epc_hex)
    if header in (HEADER_SGTIN_PLUS, HEADER_DSGTIN_PLUS):
        return _decode_sgtin_plus(bits, header, epc_hex)
    for low, high in GS1_HEADER_RANGES:
        if low <= header <= high:
            return _failure("unsupported_scheme", epc_hex)
    return _failure("not_gs1", epc_hex)


def _read_string(bits: _Bits, position: int, count: int):
    """7-bit string of a fixed-size field; None when not a valid AI 82 string."""
    chars = []
    end = position + count
    while position + 7 <= end:
        code = bits.read(position, 7)
        if code == 0:
            break
        chars.append(chr(code))
        position += 7
    if position < end and bits.read(position, end - position) != 0:
        return None
    text = "".join(chars)
    if not text or not all(char in CSET82 for char in text):
        return None
    return text


def _decode_partitioned(bits: _Bits, layout, epc_hex: str) -> EpcResult:
    scheme, uri_name, ref_bits_table, total_digits, serial_kind, serial_bits, size = layout
    if bits.size < size:
        return _failure("truncated", epc_hex)
    filter_value = bits.read(8, 3)
    partition = bits.read(11, 3)
    if partition > 6:
        return _failure("bad_partition", epc_hex)
    cp_bits = CP_BITS[partition]
    cp_digits = CP_DIGITS[partition]
    ref_bits = ref_bits_table[partition]
    ref_digits = total_digits - cp_digits
    company = bits.read(14, cp_bits)
    if company >= 10**cp_digits:
        return _failure("bad_company_prefix", epc_hex)
    company_prefix = str(company).zfill(cp_digits)
    position = 14 + cp_bits
    if serial_kind == "giai_int":
        asset = bits.read(position, ref_bits)
        if asset >= 10**ref_digits:
            return _failure("bad_serial", epc_hex)
        return _identity(uri_name, scheme, filter_value, company_prefix, None, str(asset), epc_hex)
    if serial_kind == "giai_str":
        asset_text = _read_string(bits, position, ref_bits)
        if asset_text is None or len(asset_text) > ref_digits:
            return _failure("bad_serial", epc_hex)
        return _identity(uri_name, scheme, filter_value, company_prefix, None, asset_text, epc_hex)
    reference_value = bits.read(position, ref_bits)
    if reference_value >= 10**ref_digits:
        return _failure("bad_reference", epc_hex)
    reference = str(reference_value).zfill(ref_digits) if ref_digits else ""
    position += ref_bits
    if serial_kind == "int":
        serial = str(bits.read(position, serial_bits))
    elif serial_kind == "str":
        serial = _read_string(bits, position, serial_bits)
        if serial is None:
            return _failure("bad_serial", epc_hex)
    else:
        serial = None
    return _identity(uri_name, scheme, filter_value, company_prefix, reference, serial, epc_hex)


def _identity(uri_name, scheme, filter_value, company_prefix, reference, serial, epc_hex):
    """Build the keys, URIs and element string of a partition-table scheme."""
    gtin = None
    escaped = uri_escape(serial) if serial is not None else None
    if uri_name == "sgtin":
        body = f"{company_prefix}.{reference}.{escaped}"
        key = reference[0] + company_prefix + reference[1:]
        gtin = key = key + check_digit(key)
        element = f"(01){key}(21){serial}"
    elif uri_name == "sscc":
        body = f"{company_prefix}.{reference}"
        key = reference[0] + company_prefix + reference[1:]
        key = key + check_digit(key)
        element = f"(00){key}"
    elif uri_name == "sgln":
        body = f"{company_prefix}.{reference}.{escaped}"
        key = company_prefix + reference
        key = key + check_digit(key)
        element = f"(414){key}" if serial == "0" else f"(414){key}(254){serial}"
    elif uri_name == "grai":
        body = f"{company_prefix}.{reference}.{escaped}"
        key = "0" + company_prefix + reference
        key = key + check_digit(key) + serial
        element = f"(8003){key}"
    else:
        body = f"{company_prefix}.{escaped}"
        key = company_prefix + serial
        element = f"(8004){key}"
    return EpcResult(
        True,
        None,
        scheme,
        filter_value,
        company_prefix,
        reference,
        serial,
        gtin,
        key,
        f"urn:epc:id:{uri_name}:{body}",
        f"urn:epc:tag:{scheme}:{filter_value}.{body}",
        element,
        None,
        None,
        None,
        None,
        epc_hex,
    )


def integer_bits(digit_count: int) -> int:
    """Bits of a TDS 2.0 variable-length integer of ``digit_count`` digits."""
    return (10**digit_count - 1).bit_length()


def _read_digits(bits: _Bits, position: int, count: int):
    """``count`` BCD digits (4 bits each); None if a nibble is over 9."""
    digits = []
    for index in range(count):
        nibble = bits.read(position + 4 * index, 4)
        if nibble > 9:
            return None
        digits.append(chr(48 + nibble))
    return "".join(digits)


def _read_text(bits: _Bits, position: int, length_bits: int):
    """TDS 2.0 variable-length alphanumeric: returns (text or error code, new position)."""
    if position + 3 + length_bits > bits.size:
        return "truncated", -1
    encoding = bits.read(position, 3)
    length = bits.read(position + 3, length_bits)
    position += 3 + length_bits
    if encoding == 0:
        width = integer_bits(length)
        if position + width > bits.size:
            return "truncated", -1
        number = bits.read(position, width)
        if number >= 10**length:
            return "bad_encoding", -1
        return (str(number).zfill(length) if length else ""), position + width
    if encoding in (1, 2, 3, 4):
        width = (4, 4, 6, 7)[encoding - 1]
        if position + width * length > bits.size:
            return "truncated", -1
        chars = []
        for index in range(length):
            code = bits.read(position + width * index, width)
            if encoding == 3:
                chars.append(BASE64_URL[code])
            elif encoding == 4:
                chars.append(chr(code))
            elif code > 15:
                return "bad_encoding", -1
            else:
                chars.append(
                    "0123456789ABCDEF"[code] if encoding == 1 else "0123456789abcdef"[code]
                )
        return "".join(chars), position + width * length
    if encoding == 5:
        return "unsupported_encoding", -1
    return "bad_encoding", -1


def _read_date(bits: _Bits, position: int):
    """YYMMDD from 7+4+5 bits; None if not a valid GS1 date."""
    year = bits.read(position, 7)
    month = bits.read(position + 7, 4)
    day = bits.read(position + 11, 5)
    if year > 99 or not 1 <= month <= 12:
        return None
    return f"{year:02d}{month:02d}{day:02d}"


def _decode_sgtin_plus(bits: _Bits, header: int, epc_hex: str) -> EpcResult:
    dated = header == HEADER_DSGTIN_PLUS
    position = 32 if dated else 12
    if bits.size < position + 56 + 8:
        return _failure("truncated", epc_hex)
    toggle = bits.read(8, 1)
    filter_value = bits.read(9, 3)
    date = date_ai = None
    if dated:
        date_type = bits.read(12, 4)
        if date_type >= len(DATE_TYPE_AI):
            return _failure("bad_date", epc_hex)
        date_ai = DATE_TYPE_AI[date_type]
        date = _read_date(bits, 16)
        if date is None:
            return _failure("bad_date", epc_hex)
    gtin = _read_digits(bits, position, 14)
    if gtin is None:
        return _failure("bad_encoding", epc_hex)
    if check_digit(gtin[:13]) != gtin[13]:
        return _failure("bad_check", epc_hex)
    serial, position = _read_text(bits, position + 56, 5)
    if position < 0:
        return _failure(serial, epc_hex)
    if not serial or not all(char in CSET82 for char in serial):
        return _failure("bad_serial", epc_hex)
    element = f"(01){gtin}(21){serial}"
    if dated:
        element += f"({date_ai}){date}"
    aidc = None
    if toggle:
        aidc = _read_aidc(bits, position)
        element += "".join(f"({ai}){text}" for ai, text in aidc.items() if ai != "unparsed")
    return EpcResult(
        True,
        None,
        "dsgtin+" if dated else "sgtin+",
        filter_value,
        None,
        None,
        serial,
        gtin,
        gtin,
        None,
        None,
        element,
        aidc.get("10") if aidc else None,
        date,
        date_ai,
        aidc,
        epc_hex,
    )


def _read_aidc(bits: _Bits, position: int) -> dict:
    """+AIDC data after the EPC: AI -> value; stops at zero padding or an unknown AI.

    An AI this stage cannot decode ends the walk and is kept as
    ``"unparsed": <AI digits>`` so the identity is still usable.
    """
    aidc: dict = {}
    while bits.size - position >= 8 and bits.read(position, bits.size - position) != 0:
        ai = _read_digits(bits, position, 2)
        width = 3 if ai in AI_THREE_DIGITS else 4 if ai in AI_FOUR_DIGITS else 2
        if width > 2:
            ai = _read_digits(bits, position, width) if position + 4 * width <= bits.size else None
        kind = AIDC_TABLE.get(ai) if ai is not None else None
        if kind is None:
            aidc["unparsed"] = ai or "?"
            return aidc
        position += 4 * len(ai)
        size = kind[1]
        if kind[0] == "text":
            text, position = _read_text(bits, position, size)
            if position < 0:
                aidc["unparsed"] = ai
                return aidc
        elif position + (4 * size if kind[0] == "digits" else size) > bits.size:
            aidc["unparsed"] = ai
            return aidc
        elif kind[0] == "digits":
            text = _read_digits(bits, position, size)
            position += 4 * size
        elif kind[0] == "date":
            text = _read_date(bits, position)
            position += size
        else:
            number = bits.read(position, size)
            text = f"{number:02d}" if number < 100 else None
            position += size
        if text is None:
            aidc["unparsed"] = ai
            return aidc
        aidc[ai] = text
    return aidc
