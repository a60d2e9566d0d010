"""Outside input read by hand: whole numbers from query strings and form fields, and text that
the database cannot store.

One place decides what a whole number is, for the API and the portal alike: ASCII digits only
(``str.isdigit()`` also takes ``²``, which ``int()`` refuses: a 500, and other scripts' digits),
within bounds that fit a PostgreSQL ``bigint``. A value that is not one raises ``InvalidInput``,
a ``DomainError``: the API answers it as a 400 in the contract's error format, the portal as a
400 page (``tcfo_portal.middleware.DomainErrorPageMiddleware``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .exceptions import InvalidInput

#: The largest value of a PostgreSQL ``bigint`` (ids, counters).
MAX_BIGINT = 2**63 - 1

# Code points no text column can hold: NUL (PostgreSQL refuses it) and lone surrogates (not
# characters at all; UTF-8 cannot encode them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def parse_whole_number(value: Any, *, minimum: int = 0, maximum: int = MAX_BIGINT) -> int | None:
    """``value``, text of ASCII digits, as an ``int`` from ``minimum`` to ``maximum``; ``None``
    for anything else (a sign, spaces, other scripts' digits, too many digits)."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        return None
    digits = value.lstrip("0") or "0"
    if len(digits) > len(str(maximum)):  # before int(): never convert a megabyte of digits
        return None
    number = int(digits)
    return number if minimum <= number <= maximum else None


def whole_number(value: Any, *, name: str, minimum: int = 0, maximum: int = MAX_BIGINT) -> int:
    """``value`` as a whole number (``parse_whole_number``), or ``InvalidInput`` naming it."""
    number = parse_whole_number(value, minimum=minimum, maximum=maximum)
    if number is None:
        raise InvalidInput(name, f"Give a whole number from {minimum} to {maximum}.")
    return number


def whole_number_param(
    params: Mapping[str, str],
    name: str,
    *,
    default: int | None = None,
    minimum: int = 0,
    maximum: int = MAX_BIGINT,
) -> int | None:
    """The query parameter ``name`` as a whole number (``whole_number``); ``default`` when it
    is absent or empty."""
    value = params.get(name)
    if value is None or value == "":
        return default
    return whole_number(value, name=name, minimum=minimum, maximum=maximum)


def unstorable_text(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (a NUL or a lone surrogate), or ``None``."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "Text may not contain NUL (\\u0000) characters."
    return (
        f"Text may not contain a lone surrogate (\\u{ord(found.group()):04x}): it is not a "
        "character; send text as UTF-8."
    )
