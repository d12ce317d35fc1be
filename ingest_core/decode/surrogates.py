"""JSON that msgspec refuses only because a string holds an unpaired UTF-16 surrogate.

Why: RFC 8259 lets a JSON string escape a lone surrogate (``"\\ud800"``), and
firmware that cuts a UTF-16 string in the middle of a pair writes exactly that.
msgspec refuses the whole text, so one such read or tag event made the whole
batch a 422 (or the whole vendor array one ``bad_json`` error) and held back
its good neighbours. Python's own parser takes the text; a string that still
holds a surrogate afterwards was unpaired (a valid pair becomes one character),
so only the items that hold one are refused, each with its reason.

How it is used: only after msgspec refused a text (a rare path, so the
standard library's speed is of no concern); :func:`items` gives, per item of the
array, the item re-encoded as JSON msgspec takes, or ``None`` and the item itself
when it holds an unpaired surrogate. Anything else msgspec refused stays refused:
``NaN`` and ``Infinity`` (not JSON) and texts without a lone surrogate give ``None``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import msgspec

#: After Python's decoding, a surrogate code point left in a string was unpaired.
_SURROGATE = re.compile("[\ud800-\udfff]")
_encode = msgspec.json.Encoder().encode
REASON = "a string holds an unpaired UTF-16 surrogate escape (not Unicode text)"


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def holds_surrogate(value: object) -> bool:
    """True when a string anywhere in ``value`` (keys included) holds a lone surrogate."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(holds_surrogate(key) or holds_surrogate(item)
                   for key, item in value.items())
    if isinstance(value, list):
        return any(holds_surrogate(item) for item in value)
    return False


def loads(data: bytes) -> object | None:
    """The value of ``data`` when it is JSON whose only fault for msgspec can be a lone
    surrogate (it holds one); ``None`` when it is not JSON or holds none."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        return None
    return value if holds_surrogate(value) else None


def items(values: list) -> Iterator[tuple[bytes | None, object]]:
    """Per item: ``(its JSON text, item)``, or ``(None, item)`` when it holds a lone
    surrogate and cannot be read."""
    for value in values:
        yield (None if holds_surrogate(value) else _encode(value)), value


def storable(value: object) -> object:
    """``value`` with every lone surrogate replaced by U+FFFD: what an error may quote."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value
