"""EPC encoding and EPC URI parsing (pure Python; not on the hot path).

What it is: the inverse of the ``epc`` stage, used by simulators, tests and
``rtstock decode`` for URI input: ``encode`` builds the binary of any
partition-table scheme, ``encode_sgtin96`` the common retail case,
``encode_sgtin_plus`` the TDS 2.0 SGTIN+/DSGTIN+ forms, and ``uri_to_hex``
turns a pure-identity or tag URI into the hex the decoder reads.

How it works: fields are appended to one integer, most significant first,
following the layouts in ``ingest_core.decode.fallback.epc.SCHEMES``; the result is
padded with zero bits to whole 16-bit words as a reader reports the EPC bank.

Caveats: invalid input raises ``EpcEncodeError`` whose ``code`` is one of the
decoder's error codes (``bad_company_prefix``, ``non_numeric_serial``...), so
callers can turn it into an error value.
"""

from __future__ import annotations

from ingest_core.decode.fallback.epc import (
    AIDC_TABLE,
    BASE64_URL,
    CP_BITS,
    CP_DIGITS,
    CSET82,
    DATE_TYPE_AI,
    HEADER_DSGTIN_PLUS,
    HEADER_SGTIN_PLUS,
    SCHEMES,
    URI_ESCAPES,
    check_digit,
    integer_bits,
)

SCHEME_HEADERS = {layout[0]: header for header, layout in SCHEMES.items()}
_UNESCAPES = {value: key for key, value in URI_ESCAPES.items()}


class EpcEncodeError(ValueError):
    """Invalid input for an encoder; ``code`` is a decoder error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class _Writer:
    def __init__(self) -> None:
        self.value = 0
        self.size = 0

    def put(self, number: int, count: int) -> None:
        if number < 0 or number >> count:
            raise EpcEncodeError("bad_serial", f"{number} does not fit in {count} bits")
        self.value = (self.value << count) | number
        self.size += count

    def put_string(self, text: str, count: int) -> None:
        for char in text:
            self.put(ord(char), 7)
        self.put(0, count - 7 * len(text))

    def hex(self) -> str:
        padding = -self.size % 16
        return format(self.value << padding, "X").zfill((self.size + padding) // 4)


def _check_string(text: str, max_chars: int) -> None:
    if not text or len(text) > max_chars or not all(char in CSET82 for char in text):
        raise EpcEncodeError("bad_serial", f"{text!r} is not 1-{max_chars} GS1 AI characters")


def _check_integer(text: str, count: int) -> int:
    if not text.isdigit() or not text.isascii():
        raise EpcEncodeError("non_numeric_serial", f"serial {text!r} must be numeric")
    if len(text) > 1 and text[0] == "0":
        raise EpcEncodeError("bad_serial", f"serial {text!r} has leading zeros")
    if int(text) >> count:
        raise EpcEncodeError("bad_serial", f"serial {text} does not fit in {count} bits")
    return int(text)


def encode(scheme: str, company_prefix: str, reference: str, serial, filter: int = 0) -> str:
    """Hex of a partition-table scheme (``sgtin-96``, ``sscc-96``, ``giai-202``...).

    ``reference`` is the item reference with indicator (SGTIN), serial reference
    with extension digit (SSCC), location reference (SGLN), asset type (GRAI);
    it is ignored for GIAI, whose asset reference is ``serial``.
    """
    header = SCHEME_HEADERS.get(scheme)
    if header is None:
        raise EpcEncodeError("unsupported_scheme", f"cannot encode {scheme!r}")
    _name, _uri, ref_bits_table, total_digits, kind, serial_bits, _size = SCHEMES[header]
    if not company_prefix.isdigit() or len(company_prefix) not in CP_DIGITS:
        raise EpcEncodeError("bad_company_prefix", "company prefix must be 6-12 digits")
    if not 0 <= int(filter) <= 7:
        raise EpcEncodeError("bad_uri", "filter must be 0-7")
    partition = CP_DIGITS.index(len(company_prefix))
    ref_bits = ref_bits_table[partition]
    ref_digits = total_digits - len(company_prefix)
    writer = _Writer()
    writer.put(header, 8)
    writer.put(int(filter), 3)
    writer.put(partition, 3)
    writer.put(int(company_prefix), CP_BITS[partition])
    serial = str(serial)
    if kind == "giai_int":
        writer.put(_check_integer(serial, ref_bits), ref_bits)
        return writer.hex()
    if kind == "giai_str":
        _check_string(serial, ref_digits)
        writer.put_string(serial, ref_bits)
        return writer.hex()
    if len(reference) != ref_digits or (reference and not reference.isdigit()):
        raise EpcEncodeError("bad_reference", f"reference must be {ref_digits} digits")
    writer.put(int(reference or "0"), ref_bits)
    if kind == "int":
        writer.put(_check_integer(serial, serial_bits), serial_bits)
    elif kind == "str":
        _check_string(serial, serial_bits // 7)
        writer.put_string(serial, serial_bits)
    else:
        writer.put(0, serial_bits)
    return writer.hex()


def encode_sgtin96(company_prefix: str, item_ref: str, serial: int, filter: int = 3) -> str:
    """SGTIN-96 hex; ``item_ref`` includes the indicator digit (``"812345"``)."""
    return encode("sgtin-96", company_prefix, item_ref, str(serial), filter)


def _put_text(writer: _Writer, text: str, encoding: int | None) -> None:
    if encoding is None:
        encoding = 0 if text.isdigit() and text.isascii() else 4
    writer.put(encoding, 3)
    writer.put(len(text), 5)
    if encoding == 0:
        writer.put(int(text or "0"), integer_bits(len(text)))
        return
    alphabet = {1: "0123456789ABCDEF", 2: "0123456789abcdef", 3: BASE64_URL}.get(encoding)
    for char in text:
        if encoding == 4:
            writer.put(ord(char), 7)
        elif alphabet is None or char not in alphabet:
            raise EpcEncodeError("bad_encoding", f"{char!r} not in encoding {encoding}")
        else:
            writer.put(alphabet.index(char), 6 if encoding == 3 else 4)


def _put_date(writer: _Writer, date: str) -> None:
    if len(date) != 6 or not date.isdigit():
        raise EpcEncodeError("bad_date", f"date {date!r} must be YYMMDD")
    writer.put(int(date[:2]), 7)
    writer.put(int(date[2:4]), 4)
    writer.put(int(date[4:]), 5)


def encode_sgtin_plus(
    gtin: str,
    serial: str,
    filter: int = 0,
    date: str | None = None,
    date_ai: str = "17",
    aidc: dict | None = None,
    serial_encoding: int | None = None,
) -> str:
    """SGTIN+ hex, or DSGTIN+ when ``date`` (YYMMDD, AI ``date_ai``) is given.

    ``aidc`` (AI -> value, e.g. ``{"10": "LOT7"}``) becomes +AIDC data.
    ``serial_encoding`` is the TDS 2.0 encoding indicator (default: integer for
    digits, 7-bit ASCII otherwise).
    """
    if len(gtin) != 14 or not gtin.isdigit() or check_digit(gtin[:13]) != gtin[13]:
        raise EpcEncodeError("bad_check", f"{gtin!r} is not a valid GTIN-14")
    _check_string(serial, 20)
    writer = _Writer()
    writer.put(HEADER_DSGTIN_PLUS if date else HEADER_SGTIN_PLUS, 8)
    writer.put(1 if aidc else 0, 1)
    writer.put(int(filter), 3)
    if date:
        writer.put(DATE_TYPE_AI.index(date_ai), 4)
        _put_date(writer, date)
    for digit in gtin:
        writer.put(int(digit), 4)
    _put_text(writer, serial, serial_encoding)
    for ai, value in (aidc or {}).items():
        kind, size = AIDC_TABLE[ai]
        for digit in ai:
            writer.put(int(digit), 4)
        if kind == "text":
            _put_text(writer, value, None)
        elif kind == "digits":
            for digit in value.zfill(size):
                writer.put(int(digit), 4)
        elif kind == "date":
            _put_date(writer, value)
        else:
            writer.put(int(value), size)
    return writer.hex()


def uri_unescape(text: str) -> str:
    """Undo the TDS escapes of an EPC URI field."""
    for escaped, char in _UNESCAPES.items():
        text = text.replace(escaped, char).replace(escaped.lower(), char)
    return text


_BINARY_CHOICES = {
    "sgtin": ("sgtin-96", "sgtin-198"),
    "sscc": ("sscc-96", "sscc-96"),
    "sgln": ("sgln-96", "sgln-195"),
    "grai": ("grai-96", "grai-170"),
    "giai": ("giai-96", "giai-202"),
}


def uri_to_hex(uri: str) -> tuple[str, bool]:
    """Hex for an EPC URI; the flag is True for a pure-identity URI.

    A pure-identity URI has no binary scheme or filter: the compact binary
    form is chosen (``-96`` when the serial fits, else the long one), filter 0.
    """
    parts = uri.strip().split(":", 4)
    if len(parts) != 5 or parts[0] != "urn" or parts[1] != "epc" or parts[2] not in ("id", "tag"):
        raise EpcEncodeError("bad_uri", f"{uri!r} is not an EPC URI")
    # The last field (serial, asset reference) may itself contain dots.
    expected = 2 if parts[3].startswith(("sscc", "giai")) else 3
    fields = parts[4].split(".", expected if parts[2] == "tag" else expected - 1)
    if parts[2] == "tag":
        if not fields[0].isdigit():
            raise EpcEncodeError("bad_uri", "tag URI filter must be a digit")
        scheme, filter_value, fields = parts[3], int(fields[0]), fields[1:]
        pure = False
    else:
        choice = _BINARY_CHOICES.get(parts[3])
        if choice is None:
            raise EpcEncodeError("unsupported_scheme", f"cannot decode {parts[3]!r} URIs")
        scheme, filter_value, pure = choice[0], 0, True
    if len(fields) != expected:
        raise EpcEncodeError("bad_uri", f"{scheme} URI needs {expected} dot-separated fields")
    company_prefix = fields[0]
    reference = "" if scheme.startswith("giai") else fields[1]
    serial = "" if scheme.startswith("sscc") else uri_unescape(fields[-1])
    if pure:
        try:
            return encode(scheme, company_prefix, reference, serial, filter_value), True
        except EpcEncodeError as exc:
            if exc.code not in ("bad_serial", "non_numeric_serial"):
                raise
            scheme = _BINARY_CHOICES[parts[3]][1]
    return encode(scheme, company_prefix, reference, serial, filter_value), pure
