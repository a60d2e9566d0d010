from __future__ import annotations

import json
from typing import Any

import orjson
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class FastJSONParser(JSONParser):
    """JSON parsed with orjson, for bulk endpoints where decoding is most of the work.

    A document orjson refuses but the standard library accepts (an integer beyond 64 bits)
    is read by the standard library, so each value is still judged on its own.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = stream.read() if stream is not None else b""
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            try:
                return json.loads(data)
            except ValueError as error:
                raise ParseError(f"JSON parse error - {error}") from None
