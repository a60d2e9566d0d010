"""The API's JSON parser: DRF's, with limits on what a body may hold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from tcfo_portal.inputs import unstorable_text

#: How deeply arrays and objects may nest in a request body; the API's own bodies need 3.
MAX_DEPTH = 20
TOO_DEEP = f"JSON parse error - arrays and objects nest more than {MAX_DEPTH} levels deep."


class JSONParser(parsers.JSONParser):
    """A body nested deeper than ``MAX_DEPTH`` is a 400 parse error (the standard parser
    recurses and runs out of stack near 1,000 levels: a 500); text no column can store (a NUL,
    a lone surrogate such as ``"\\ud800"``, which is no character) is a 400 validation error
    naming where in the body it is. Checked once here, so no view or field meets either."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        check_body(data)
        return data


def check_body(data: Any) -> None:
    """Refuse ``data`` (parsed JSON) nested deeper than ``MAX_DEPTH`` or with unstorable text.

    Walks the body without recursion; each container is visited once.
    """
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(data, 0, ())]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, str):
            _check_text(value, where)
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise ParseError(TOO_DEEP)
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key, where)
                stack.append((item, depth + 1, (*where, key)))


def _check_text(value: str, where: tuple[str | int, ...]) -> None:
    if value.isascii() and "\x00" not in value:
        return
    problem = unstorable_text(value)
    if problem is not None:
        name = _path(where)
        raise ValidationError({name: [problem]})


def _path(where: tuple[str | int, ...]) -> str:
    """``("samples", 3, "port")`` as ``samples[3].port``; the body as ``non_field_errors``."""
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "non_field_errors"
