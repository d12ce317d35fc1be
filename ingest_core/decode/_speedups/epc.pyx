# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""EPC binary decoding (GS1 EPC Tag Data Standard 2.0), compiled twin.

What it is: the Cython implementation of the ``epc`` stage; it exports the
same names as ``ingest_core.decode.fallback.epc`` and must give identical results.

How it works: the hex text is read straight from the ``str`` buffer into a
C byte array (no intermediate objects); fields are read with a C bit reader
and the decimal strings are formatted into C buffers, so a SGTIN-96 decode
allocates only its result object and its strings. A SGTIN-96 given as 24
uppercase hex digits (what readers send for most retail tags) skips even the
bit reader: ``_sgtin96_fast`` parses it into two integers and checks the
same limits, and hands anything unusual to the generic path. Results are not
tracked by the cyclic GC (they cannot form cycles); ``gtin`` and ``serial``
are built as strings without an ASCII validation pass. Base64 goes through
``binascii`` (C) and then the same path. Tables and rules are those of the
twin; read its docstring for the caveats (``not_gs1``, Code 40, padding).
"""

import binascii

cimport cython
from cpython.unicode cimport PyUnicode_AsUTF8AndSize, PyUnicode_DecodeASCII
from libc.stdint cimport uint64_t
from libc.string cimport memcpy

from ingest_core.decode.fallback.epc import (
    AI_FOUR_DIGITS,
    AI_THREE_DIGITS,
    AIDC_TABLE,
    BASE64_URL,
    CSET82,
    DATE_TYPE_AI,
    ERRORS,
    FIELDS,
    MAX_BITS,
    standard_base64,
)

cdef enum:
    MAX_BYTES = 128

TEN = 10  # a Python int: 10 ** n must not become a C float
cdef uint64_t[20] POW10
POW10[0] = 1
for _index in range(1, 20):
    POW10[_index] = POW10[_index - 1] * 10

cdef int[7] CP_BITS = [40, 37, 34, 30, 27, 24, 20]
cdef int[7] CP_DIGITS = [12, 11, 10, 9, 8, 7, 6]

# Scheme kinds (serial handling), as in the twin's SCHEMES table.
cdef enum:
    KIND_INT = 0
    KIND_STR = 1
    KIND_NONE = 2
    KIND_GIAI_INT = 3
    KIND_GIAI_STR = 4

cdef enum:
    URI_SGTIN = 0
    URI_SSCC = 1
    URI_SGLN = 2
    URI_GRAI = 3
    URI_GIAI = 4

cdef struct Layout:
    int uri_kind
    int ref_bits[7]
    int total_digits
    int kind
    int serial_bits
    int size

cdef Layout[256] LAYOUTS
cdef bint[256] HAS_LAYOUT
cdef list SCHEME_NAMES = [None] * 256
cdef list SCHEME_BYTES = [None] * 256
cdef list URI_NAME_BYTES = [b"urn:epc:id:sgtin:", b"urn:epc:id:sscc:", b"urn:epc:id:sgln:",
                     b"urn:epc:id:grai:", b"urn:epc:id:giai:"]


cdef void _set_layout(int header, str name, int uri_kind, tuple ref_bits, int total_digits,
                      int kind, int serial_bits, int size):
    cdef int index
    HAS_LAYOUT[header] = True
    SCHEME_NAMES[header] = name
    SCHEME_BYTES[header] = f"urn:epc:tag:{name}:".encode("ascii")
    LAYOUTS[header].uri_kind = uri_kind
    for index in range(7):
        LAYOUTS[header].ref_bits[index] = ref_bits[index]
    LAYOUTS[header].total_digits = total_digits
    LAYOUTS[header].kind = kind
    LAYOUTS[header].serial_bits = serial_bits
    LAYOUTS[header].size = size


for _index in range(256):
    HAS_LAYOUT[_index] = False
_set_layout(0x30, "sgtin-96", URI_SGTIN, (4, 7, 10, 14, 17, 20, 24), 13, KIND_INT, 38, 96)
_set_layout(0x36, "sgtin-198", URI_SGTIN, (4, 7, 10, 14, 17, 20, 24), 13, KIND_STR, 140, 198)
_set_layout(0x31, "sscc-96", URI_SSCC, (18, 21, 24, 28, 31, 34, 38), 17, KIND_NONE, 24, 96)
_set_layout(0x32, "sgln-96", URI_SGLN, (1, 4, 7, 11, 14, 17, 21), 12, KIND_INT, 41, 96)
_set_layout(0x39, "sgln-195", URI_SGLN, (1, 4, 7, 11, 14, 17, 21), 12, KIND_STR, 140, 195)
_set_layout(0x33, "grai-96", URI_GRAI, (4, 7, 10, 14, 17, 20, 24), 12, KIND_INT, 38, 96)
_set_layout(0x37, "grai-170", URI_GRAI, (4, 7, 10, 14, 17, 20, 24), 12, KIND_STR, 112, 170)
_set_layout(0x34, "giai-96", URI_GIAI, (42, 45, 48, 52, 55, 58, 62), 25, KIND_GIAI_INT, 0, 96)
_set_layout(0x38, "giai-202", URI_GIAI, (148, 151, 154, 158, 161, 164, 168), 30, KIND_GIAI_STR,
            0, 202)

cdef enum:
    HEADER_SGTIN_PLUS = 0xF7
    HEADER_DSGTIN_PLUS = 0xFB

# 1 for characters of GS1 AI character set 82; 2 for the ones escaped in URIs.
cdef unsigned char[128] CHAR_CLASS
for _index in range(128):
    CHAR_CLASS[_index] = 1 if chr(_index) in CSET82 else 0
for _char in '"%&/<>?':
    CHAR_CLASS[ord(_char)] = 2

cdef signed char[256] NIBBLE
for _index in range(256):
    NIBBLE[_index] = -1
for _index, _char in enumerate("0123456789ABCDEF"):
    NIBBLE[ord(_char)] = _index
    NIBBLE[ord(_char.lower())] = _index

cdef const char* HEX_UPPER = b"0123456789ABCDEF"
cdef const char* HEX_LOWER = b"0123456789abcdef"
cdef bytes _BASE64_BYTES = BASE64_URL.encode("ascii")
cdef const char* BASE64_ALPHABET = _BASE64_BYTES


cdef extern from "Python.h":
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void* PyUnicode_DATA(object text)


# Not tracked by the cyclic GC: a result holds only strings, ints, None and (``aidc``)
# a dict of strings, so it cannot be part of a cycle. Tracking cost more than half of a
# SGTIN-96 decode in a 100k batch (every young-generation collection walked the results).
@cython.no_gc
cdef class EpcResult:
    """One decoded EPC. ``ok`` False means ``error`` holds the reason code.

    For the numeric 96-bit schemes the strings derived from the binary
    (``company_prefix``, ``gtin``, ``uri``...) are formatted on first access
    and then kept: a reader that only needs ``gtin`` and ``serial`` does not
    pay for URIs. The values are the same as the twin's eager ones.
    """

    cdef readonly object ok, error, scheme, filter, lot, date, date_ai, aidc, epc_hex
    cdef object _company_prefix, _reference, _serial, _gtin, _gs1_key, _uri, _tag_uri
    cdef object _element_string
    cdef bint _pending
    cdef int _header, _partition
    cdef uint64_t _company, _reference_value, _number

    def __init__(self, ok=False, error=None, scheme=None, filter=None, company_prefix=None,
                 reference=None, serial=None, gtin=None, gs1_key=None, uri=None, tag_uri=None,
                 element_string=None, lot=None, date=None, date_ai=None, aidc=None,
                 epc_hex=None):
        self.ok = ok
        self.error = error
        self.scheme = scheme
        self.filter = filter
        self._company_prefix = company_prefix
        self._reference = reference
        self._serial = serial
        self._gtin = gtin
        self._gs1_key = gs1_key
        self._uri = uri
        self._tag_uri = tag_uri
        self._element_string = element_string
        self.lot = lot
        self.date = date
        self.date_ai = date_ai
        self.aidc = aidc
        self.epc_hex = epc_hex
        self._pending = False

    cdef void _materialise(self):
        cdef const Layout* layout = &LAYOUTS[self._header]
        cdef int cp_digits = CP_DIGITS[self._partition]
        cdef int ref_digits = layout.total_digits - cp_digits
        cdef char[32] cp_text
        cdef char[32] ref_text
        cdef char[32] serial_text
        cdef Py_ssize_t ref_length = -1, serial_length = -1
        self._pending = False
        _put_uint(cp_text, self._company, cp_digits)
        if layout.kind != KIND_GIAI_INT:
            ref_length = _put_uint(ref_text, self._reference_value, ref_digits) if ref_digits else 0
        if layout.kind != KIND_NONE:
            serial_length = _put_uint(serial_text, self._number, 0)
        _fill_identity(self, layout, self._header, cp_text, cp_digits, ref_text, ref_length,
                       serial_text, serial_length)

    @property
    def company_prefix(self):
        if self._pending:
            self._materialise()
        return self._company_prefix

    @property
    def reference(self):
        if self._pending:
            self._materialise()
        return self._reference

    @property
    def serial(self):
        # Hot for the ingest: formatted alone, without the URIs.
        cdef char[24] text
        if self._pending and self._serial is None and LAYOUTS[self._header].kind != KIND_NONE:
            self._serial = _digits(text, _put_uint(text, self._number, 0))
        return self._serial

    @property
    def gtin(self):
        # Hot for the ingest: indicator + company prefix + item reference + check digit.
        cdef char[16] key
        cdef int cp_digits, ref_digits
        cdef char indicator
        if self._pending and self._gtin is None and LAYOUTS[self._header].uri_kind == URI_SGTIN:
            cp_digits = CP_DIGITS[self._partition]
            ref_digits = 13 - cp_digits
            _put_uint(key, self._reference_value, ref_digits)
            indicator = key[0]
            _put_uint(key + 1, self._company, cp_digits)
            if ref_digits > 1:
                _put_uint(key + 1 + cp_digits, self._reference_value % POW10[ref_digits - 1],
                          ref_digits - 1)
            key[0] = indicator
            key[13] = _check_digit(key, 13)
            self._gtin = _digits(key, 14)
        return self._gtin

    @property
    def gs1_key(self):
        if self._pending:
            self._materialise()
        return self._gs1_key

    @property
    def uri(self):
        if self._pending:
            self._materialise()
        return self._uri

    @property
    def tag_uri(self):
        if self._pending:
            self._materialise()
        return self._tag_uri

    @property
    def element_string(self):
        if self._pending:
            self._materialise()
        return self._element_string

    def as_dict(self):
        """All fields as a plain dict (``aidc`` copied), ready for JSON."""
        if self._pending:
            self._materialise()
        return {
            "ok": self.ok,
            "error": self.error,
            "scheme": self.scheme,
            "filter": self.filter,
            "company_prefix": self._company_prefix,
            "reference": self._reference,
            "serial": self._serial,
            "gtin": self._gtin,
            "gs1_key": self._gs1_key,
            "uri": self._uri,
            "tag_uri": self._tag_uri,
            "element_string": self._element_string,
            "lot": self.lot,
            "date": self.date,
            "date_ai": self.date_ai,
            "aidc": dict(self.aidc) if self.aidc is not None else None,
            "epc_hex": self.epc_hex,
        }

    def __eq__(self, other):
        if not hasattr(other, "as_dict"):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    __hash__ = None

    def __repr__(self):
        if self.ok:
            return f"EpcResult({self.scheme} {self.uri or self.element_string})"
        return f"EpcResult(error={self.error!r})"


cdef inline EpcResult _failure(str error, object epc_hex=None):
    cdef EpcResult result = EpcResult.__new__(EpcResult)
    result.ok = False
    result.error = error
    result.epc_hex = epc_hex
    return result


cdef inline EpcResult _success():
    cdef EpcResult result = EpcResult.__new__(EpcResult)
    result.ok = True
    return result


cdef struct Bits:
    unsigned char data[MAX_BYTES]
    Py_ssize_t size


cdef uint64_t _read(const Bits* bits, Py_ssize_t position, int count) noexcept nogil:
    """``count`` (<= 64) bits from ``position``; bits past the end read as zero."""
    cdef uint64_t value = 0
    cdef Py_ssize_t index, first, last
    cdef int skip
    if count <= 0:
        return 0
    if count > 56:
        return (_read(bits, position, count - 32) << 32) | _read(bits, position + count - 32, 32)
    first = position >> 3
    last = (position + count - 1) >> 3
    skip = <int>(position & 7)
    for index in range(first, last + 1):
        value = (value << 8) | (bits.data[index] if index < MAX_BYTES else 0)
    value >>= ((last - first + 1) * 8 - skip - count)
    return value & ((<uint64_t>1 << count) - 1) if count < 64 else value


cdef bint _rest_zero(const Bits* bits, Py_ssize_t position) noexcept nogil:
    while position < bits.size:
        if _read(bits, position, 1):
            return False
        position += 1
    return True


cdef Py_ssize_t _put_uint(char* out, uint64_t value, int width) noexcept nogil:
    """Decimal ``value`` zero-padded to ``width`` digits; returns characters written."""
    cdef char[24] scratch
    cdef int count = 0
    cdef int index
    while value or count == 0:
        scratch[count] = <char>(48 + value % 10)
        value //= 10
        count += 1
    while count < width:
        scratch[count] = 48
        count += 1
    for index in range(count):
        out[index] = scratch[count - 1 - index]
    return count


cdef char _check_digit(const char* digits, int count) noexcept nogil:
    cdef int total = 0
    cdef int weight = 3
    cdef int index
    for index in range(count - 1, -1, -1):
        total += (digits[index] - 48) * weight
        weight = 4 - weight
    return <char>(48 + (10 - total % 10) % 10)


cdef inline str _ascii(const char* text, Py_ssize_t size):
    return PyUnicode_DecodeASCII(<char*>text, size, NULL)


cdef inline str _digits(const char* text, Py_ssize_t size):
    """``str`` of ``size`` ASCII characters known to be ASCII (digits): no validation pass."""
    cdef str result = PyUnicode_New(size, 127)
    memcpy(PyUnicode_DATA(result), text, size)
    return result


def check_digit(str digits):
    """GS1 mod-10 check digit of ``digits`` (weights 3,1,3... from the right)."""
    cdef bytes raw = digits.encode("ascii")
    return chr(_check_digit(raw, len(raw)))


cdef bint _is_space(char char) noexcept nogil:
    return char == 32 or char == 9 or char == 13 or char == 10


def decode_hex(str text):
    """Decode an EPC given as hex (any case, spaces allowed)."""
    return _decode_hex(text)


cdef EpcResult _decode_hex(str text):
    cdef Py_ssize_t length, index, nibbles = 0
    cdef const char* data = PyUnicode_AsUTF8AndSize(text, &length)
    cdef EpcResult fast
    if length == 24:
        fast = _sgtin96_fast(text, data)
        if fast is not None:
            return fast
    cdef Bits bits
    cdef char[2 * MAX_BYTES] normal
    cdef bint copy = False
    cdef signed char nibble
    cdef unsigned char char
    for index in range(length):
        char = <unsigned char>data[index]
        nibble = NIBBLE[char]
        if nibble < 0:
            if _is_space(<char>char):
                copy = True
                continue
            return _failure("bad_hex")
        if nibbles < 2 * MAX_BYTES:
            if nibbles & 1:
                bits.data[nibbles >> 1] |= <unsigned char>nibble
            else:
                bits.data[nibbles >> 1] = <unsigned char>(nibble << 4)
            normal[nibbles] = HEX_UPPER[nibble]
        if char >= 97:
            copy = True
        nibbles += 1
    if nibbles == 0:
        return _failure("empty")
    if nibbles & 1:
        return _failure("bad_hex")
    if nibbles * 4 > MAX_BITS:
        return _failure("too_long")
    bits.size = nibbles * 4
    return _decode_bits(&bits, _ascii(normal, nibbles) if copy else text)


def decode_base64(str text):
    """Decode an EPC given as base64 (Impinj ``epc`` field): the standard alphabet or the
    URL-safe one (``-``, ``_``; RFC 4648 section 5), padding optional."""
    return _decode_base64(text)



cdef EpcResult _decode_base64(str text):
    cdef Py_ssize_t length, index
    cdef const char* data = PyUnicode_AsUTF8AndSize(text, &length)
    cdef Bits bits
    cdef char[2 * MAX_BYTES] normal
    cdef bytes raw
    for index in range(length):
        if _is_space(data[index]):
            text = "".join(text.split())
            break
    if not text:
        return _failure("empty")
    text = standard_base64(text)
    if text is None:
        return _failure("bad_base64")
    if len(text) % 4 == 1:
        return _failure("bad_base64")
    try:
        raw = binascii.a2b_base64((text + "=" * ((4 - len(text) % 4) % 4)).encode("ascii"),
                                  strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return _failure("bad_base64")
    length = len(raw)
    if length == 0:
        return _failure("empty")
    if length * 8 > MAX_BITS:
        return _failure("too_long")
    memcpy(bits.data, <const char*>raw, length)
    for index in range(length):
        normal[2 * index] = HEX_UPPER[bits.data[index] >> 4]
        normal[2 * index + 1] = HEX_UPPER[bits.data[index] & 15]
    bits.size = length * 8
    return _decode_bits(&bits, _ascii(normal, 2 * length))


def decode_epc(str text):
    """Decode hex or base64: all-hex-digit input is hex, anything else base64."""
    return _decode_epc(text)


cdef EpcResult _decode_epc(str text):
    cdef Py_ssize_t length, index
    cdef const char* data = PyUnicode_AsUTF8AndSize(text, &length)
    cdef bint seen = False
    cdef unsigned char char
    cdef EpcResult fast
    if length == 24:
        fast = _sgtin96_fast(text, data)
        if fast is not None:
            return fast
    for index in range(length):
        char = <unsigned char>data[index]
        if NIBBLE[char] >= 0:
            seen = True
        elif not _is_space(<char>char):
            return _decode_base64(text)
    if seen:
        return _decode_hex(text)
    return _decode_base64(text)


def decode_many(texts):
    """``decode_epc`` over a list; one result per input, in order."""
    cdef list results = []
    for text in texts:
        results.append(_decode_epc(text))
    return results


# SGTIN-96 as 24 uppercase hex digits, the tag a retail store reads most, is decoded
# here without the generic bit reader. Anything unusual (lowercase, spaces, another
# header, a value the generic path rejects) returns None and takes the generic path, so
# results and errors stay those of ``_decode_partitioned``.
cdef signed char[256] UPPER_NIBBLE
for _index in range(256):
    UPPER_NIBBLE[_index] = -1
for _index, _char in enumerate("0123456789ABCDEF"):
    UPPER_NIBBLE[ord(_char)] = _index

cdef enum:
    HEADER_SGTIN96 = 0x30

cdef str SGTIN96_NAME = SCHEME_NAMES[HEADER_SGTIN96]


cdef inline uint64_t _field96(uint64_t high, uint64_t low, int position,
                              int width) noexcept nogil:
    """Bits ``[position, position + width)`` (width < 64) of the 96-bit ``high:low``."""
    cdef int end = position + width
    cdef uint64_t value
    if end <= 64:
        value = high >> (64 - end)
    elif position >= 64:
        value = low >> (96 - end)
    else:
        value = (high << (end - 64)) | (low >> (96 - end))
    return value & ((<uint64_t>1 << width) - 1)


cdef EpcResult _sgtin96_fast(str text, const char* data):
    cdef uint64_t high = 0, low = 0, company, reference
    cdef int index, partition, cp_bits, ref_bits
    cdef signed char nibble
    cdef const Layout* layout = &LAYOUTS[HEADER_SGTIN96]
    cdef EpcResult result
    for index in range(16):
        nibble = UPPER_NIBBLE[<unsigned char>data[index]]
        if nibble < 0:
            return None
        high = (high << 4) | <uint64_t>nibble
    for index in range(16, 24):
        nibble = UPPER_NIBBLE[<unsigned char>data[index]]
        if nibble < 0:
            return None
        low = (low << 4) | <uint64_t>nibble
    if (high >> 56) != HEADER_SGTIN96:
        return None
    partition = <int>((high >> 50) & 7)
    if partition > 6:
        return None
    cp_bits = CP_BITS[partition]
    ref_bits = layout.ref_bits[partition]
    company = _field96(high, low, 14, cp_bits)
    if company >= POW10[CP_DIGITS[partition]]:
        return None
    reference = _field96(high, low, 14 + cp_bits, ref_bits)
    if reference >= POW10[layout.total_digits - CP_DIGITS[partition]]:
        return None
    result = EpcResult.__new__(EpcResult)
    result.ok = True
    result.scheme = SGTIN96_NAME
    result.filter = <int>((high >> 53) & 7)
    result.epc_hex = text
    result._header = HEADER_SGTIN96
    result._partition = partition
    result._company = company
    result._reference_value = reference
    result._number = _field96(high, low, 58, 38)
    result._pending = True
    return result


cdef EpcResult _decode_bits(Bits* bits, str epc_hex):
    cdef int header
    if bits.size < 8:
        return _failure("truncated", epc_hex)
    header = <int>_read(bits, 0, 8)
    if HAS_LAYOUT[header]:
        return _decode_partitioned(bits, header, epc_hex)
    if header == HEADER_SGTIN_PLUS or header == HEADER_DSGTIN_PLUS:
        return _decode_sgtin_plus(bits, header, epc_hex)
    if 0x2C <= header <= 0x3F or 0xE0 <= header:
        return _failure("unsupported_scheme", epc_hex)
    return _failure("not_gs1", epc_hex)


cdef Py_ssize_t _read_string(const Bits* bits, Py_ssize_t position, int count, char* out):
    """7-bit string of a fixed-size field into ``out``; -1 when not valid AI 82 text."""
    cdef Py_ssize_t end = position + count
    cdef Py_ssize_t length = 0
    cdef int code
    while position + 7 <= end:
        code = <int>_read(bits, position, 7)
        if code == 0:
            break
        if not CHAR_CLASS[code]:
            return -1
        out[length] = <char>code
        length += 1
        position += 7
    while position < end:
        # Checked in chunks: one _read of more than 64 bits would drop the high ones.
        if _read(bits, position, <int>min(32, end - position)) != 0:
            return -1
        position += 32
    return length if length else -1


cdef Py_ssize_t _put_escaped(char* out, const char* text, Py_ssize_t length) noexcept nogil:
    cdef Py_ssize_t index, written = 0
    cdef unsigned char char
    for index in range(length):
        char = <unsigned char>text[index]
        if CHAR_CLASS[char] == 2:
            out[written] = 37
            out[written + 1] = HEX_UPPER[char >> 4]
            out[written + 2] = HEX_UPPER[char & 15]
            written += 3
        else:
            out[written] = <char>char
            written += 1
    return written


cdef EpcResult _decode_partitioned(const Bits* bits, int header, str epc_hex):
    cdef const Layout* layout = &LAYOUTS[header]
    cdef int filter_value, partition, cp_bits, cp_digits, ref_bits, ref_digits
    cdef uint64_t company, reference = 0, number = 0
    cdef Py_ssize_t position, serial_length = -1, ref_length = -1
    cdef char[32] cp_text
    cdef char[32] ref_text
    cdef char[48] serial_text
    cdef EpcResult result
    if bits.size < layout.size:
        return _failure("truncated", epc_hex)
    filter_value = <int>_read(bits, 8, 3)
    partition = <int>_read(bits, 11, 3)
    if partition > 6:
        return _failure("bad_partition", epc_hex)
    cp_bits = CP_BITS[partition]
    cp_digits = CP_DIGITS[partition]
    ref_bits = layout.ref_bits[partition]
    ref_digits = layout.total_digits - cp_digits
    company = _read(bits, 14, cp_bits)
    if company >= POW10[cp_digits]:
        return _failure("bad_company_prefix", epc_hex)
    position = 14 + cp_bits
    if layout.kind == KIND_GIAI_INT:
        number = _read(bits, position, ref_bits)
        if ref_digits < 20 and number >= POW10[ref_digits]:
            return _failure("bad_serial", epc_hex)
    elif layout.kind == KIND_GIAI_STR:
        serial_length = _read_string(bits, position, ref_bits, serial_text)
        if serial_length < 0 or serial_length > ref_digits:
            return _failure("bad_serial", epc_hex)
    else:
        reference = _read(bits, position, ref_bits)
        if reference >= POW10[ref_digits]:
            return _failure("bad_reference", epc_hex)
        position += ref_bits
        if layout.kind == KIND_INT:
            number = _read(bits, position, layout.serial_bits)
        elif layout.kind == KIND_STR:
            serial_length = _read_string(bits, position, layout.serial_bits, serial_text)
            if serial_length < 0:
                return _failure("bad_serial", epc_hex)
    result = _success()
    result.scheme = SCHEME_NAMES[header]
    result.filter = filter_value
    result.epc_hex = epc_hex
    result._header = header
    result._partition = partition
    result._company = company
    result._reference_value = reference
    result._number = number
    if layout.kind == KIND_STR or layout.kind == KIND_GIAI_STR:
        # Text serials are already decoded into a buffer: format everything now.
        _put_uint(cp_text, company, cp_digits)
        if layout.kind == KIND_STR:
            ref_length = _put_uint(ref_text, reference, ref_digits) if ref_digits else 0
        _fill_identity(result, layout, header, cp_text, cp_digits, ref_text, ref_length,
                       serial_text, serial_length)
    else:
        result._pending = True
    return result


cdef void _fill_identity(EpcResult result, const Layout* layout, int header, const char* cp,
                         int cp_length, const char* ref, Py_ssize_t ref_length,
                         const char* serial, Py_ssize_t serial_length):
    """Keys, URIs and element string of a partition-table scheme, built in C buffers."""
    cdef char[40] key
    cdef char[160] body
    cdef char[200] text
    cdef Py_ssize_t key_length = 0, body_length, prefix_length
    cdef int kind = layout.uri_kind
    cdef int filter_value = result.filter
    cdef bytes prefix
    cdef str key_str
    # Body of the URIs: CP.REF.SERIAL (SSCC has no serial, GIAI no reference).
    memcpy(body, cp, cp_length)
    body_length = cp_length
    if ref_length >= 0:
        body[body_length] = 46
        memcpy(body + body_length + 1, ref, ref_length)
        body_length += 1 + ref_length
    if serial_length >= 0:
        body[body_length] = 46
        body_length += 1 + _put_escaped(body + body_length + 1, serial, serial_length)
    # GS1 key and its element string.
    if kind == URI_SGTIN or kind == URI_SSCC:
        key[0] = ref[0]
        memcpy(key + 1, cp, cp_length)
        memcpy(key + 1 + cp_length, ref + 1, ref_length - 1)
        key_length = cp_length + ref_length
        key[key_length] = _check_digit(key, key_length)
        key_length += 1
    elif kind == URI_SGLN:
        memcpy(key, cp, cp_length)
        memcpy(key + cp_length, ref, ref_length)
        key_length = cp_length + ref_length
        key[key_length] = _check_digit(key, key_length)
        key_length += 1
    elif kind == URI_GRAI:
        key[0] = 48
        memcpy(key + 1, cp, cp_length)
        memcpy(key + 1 + cp_length, ref, ref_length)
        key_length = 1 + cp_length + ref_length
        key[key_length] = _check_digit(key, key_length)
        key_length += 1
        memcpy(key + key_length, serial, serial_length)
        key_length += serial_length
    else:
        memcpy(key, cp, cp_length)
        memcpy(key + cp_length, serial, serial_length)
        key_length = cp_length + serial_length
    key_str = _ascii(key, key_length)
    result._company_prefix = _ascii(cp, cp_length)
    result._reference = _ascii(ref, ref_length) if ref_length >= 0 else None
    result._serial = _ascii(serial, serial_length) if serial_length >= 0 else None
    result._gs1_key = key_str
    if kind == URI_SGTIN:
        result._gtin = key_str
        result._element_string = f"(01){key_str}(21){result._serial}"
    elif kind == URI_SSCC:
        result._element_string = f"(00){key_str}"
    elif kind == URI_SGLN:
        if serial_length == 1 and serial[0] == 48:
            result._element_string = f"(414){key_str}"
        else:
            result._element_string = f"(414){key_str}(254){result._serial}"
    elif kind == URI_GRAI:
        result._element_string = f"(8003){key_str}"
    else:
        result._element_string = f"(8004){key_str}"
    # urn:epc:id:<name>:<body> and urn:epc:tag:<scheme>:<filter>.<body>
    prefix = <bytes>URI_NAME_BYTES[kind]
    prefix_length = len(prefix)
    memcpy(text, <const char*>prefix, prefix_length)
    memcpy(text + prefix_length, body, body_length)
    result._uri = _ascii(text, prefix_length + body_length)
    prefix = <bytes>SCHEME_BYTES[header]
    prefix_length = len(prefix)
    memcpy(text, <const char*>prefix, prefix_length)
    text[prefix_length] = <char>(48 + filter_value)
    text[prefix_length + 1] = 46
    memcpy(text + prefix_length + 2, body, body_length)
    result._tag_uri = _ascii(text, prefix_length + 2 + body_length)




cdef object _read_digits(const Bits* bits, Py_ssize_t position, int count):
    """``count`` BCD digits (4 bits each); None if a nibble is over 9."""
    cdef char[40] out
    cdef int index, nibble
    for index in range(count):
        nibble = <int>_read(bits, position + 4 * index, 4)
        if nibble > 9:
            return None
        out[index] = <char>(48 + nibble)
    return _ascii(out, count)


cdef int[32] INTEGER_BITS
for _index in range(32):
    INTEGER_BITS[_index] = (10**_index - 1).bit_length()


cdef tuple _read_text(const Bits* bits, Py_ssize_t position, int length_bits):
    """TDS 2.0 variable-length alphanumeric: (text or error code, new position)."""
    cdef int encoding, length, width, index, code
    cdef char[64] out
    if position + 3 + length_bits > bits.size:
        return "truncated", -1
    encoding = <int>_read(bits, position, 3)
    length = <int>_read(bits, position + 3, length_bits)
    position += 3 + length_bits
    if encoding == 0:
        width = INTEGER_BITS[length]
        if position + width > bits.size:
            return "truncated", -1
        if width <= 64:
            number = _read(bits, position, width)
        else:
            number = (<object>_read(bits, position, width - 64) << 64) | _read(
                bits, position + width - 64, 64
            )
        if number >= TEN ** length:
            return "bad_encoding", -1
        return (str(number).zfill(length) if length else ""), position + width
    if 1 <= encoding <= 4:
        width = (4, 4, 6, 7)[encoding - 1]
        if position + width * length > bits.size:
            return "truncated", -1
        for index in range(length):
            code = <int>_read(bits, position + width * index, width)
            if encoding == 3:
                out[index] = BASE64_ALPHABET[code]
            elif encoding == 4:
                out[index] = <char>code
            elif code > 15:
                return "bad_encoding", -1
            else:
                out[index] = HEX_UPPER[code] if encoding == 1 else HEX_LOWER[code]
        return _ascii(out, length), position + width * length
    if encoding == 5:
        return "unsupported_encoding", -1
    return "bad_encoding", -1


cdef object _read_date(const Bits* bits, Py_ssize_t position):
    """YYMMDD from 7+4+5 bits; None if not a valid GS1 date."""
    cdef int year = <int>_read(bits, position, 7)
    cdef int month = <int>_read(bits, position + 7, 4)
    cdef int day = <int>_read(bits, position + 11, 5)
    cdef char[6] out
    if year > 99 or not 1 <= month <= 12:
        return None
    _put_uint(out, year, 2)
    _put_uint(out + 2, month, 2)
    _put_uint(out + 4, day, 2)
    return _ascii(out, 6)


cdef bint _valid_serial(str serial):
    cdef Py_UCS4 char
    if not serial:
        return False
    for char in serial:
        if char >= 128 or CHAR_CLASS[char] == 0:
            return False
    return True


cdef EpcResult _decode_sgtin_plus(const Bits* bits, int header, str epc_hex):
    cdef bint dated = header == HEADER_DSGTIN_PLUS
    cdef Py_ssize_t position = 32 if dated else 12
    cdef int toggle, filter_value, date_type
    cdef EpcResult result
    date = date_ai = None
    if bits.size < position + 56 + 8:
        return _failure("truncated", epc_hex)
    toggle = <int>_read(bits, 8, 1)
    filter_value = <int>_read(bits, 9, 3)
    if dated:
        date_type = <int>_read(bits, 12, 4)
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
    if not _valid_serial(serial):
        return _failure("bad_serial", epc_hex)
    element = f"(01){gtin}(21){serial}"
    if dated:
        element += f"({date_ai}){date}"
    aidc = None
    if toggle:
        aidc = _read_aidc(bits, position)
        element += "".join(f"({ai}){text}" for ai, text in aidc.items() if ai != "unparsed")
    result = _success()
    result.scheme = "dsgtin+" if dated else "sgtin+"
    result.filter = filter_value
    result._serial = serial
    result._gtin = result._gs1_key = gtin
    result._element_string = element
    result.lot = aidc.get("10") if aidc else None
    result.date = date
    result.date_ai = date_ai
    result.aidc = aidc
    result.epc_hex = epc_hex
    return result


cdef dict _read_aidc(const Bits* bits, Py_ssize_t position):
    """+AIDC data after the EPC (see the twin): AI -> value, ``"unparsed"`` on an unknown AI."""
    cdef dict aidc = {}
    cdef int width, size
    while bits.size - position >= 8 and not _rest_zero(bits, position):
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
            number = _read(bits, position, size)
            text = f"{number:02d}" if number < 100 else None
            position += size
        if text is None:
            aidc["unparsed"] = ai
            return aidc
        aidc[ai] = text
    return aidc
