from __future__ import annotations

from typing import Any

import orjson
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class FastJSONParser(JSONParser):
    """JSON parsed with orjson, for bulk endpoints where decoding is most of the work.

    orjson reads an integer beyond 64 bits as a float: the value is then refused on its own
    ("must be a whole number"), as the standard parser's would be for being out of range.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return orjson.loads(stream.read() if stream is not None else b"")
        except orjson.JSONDecodeError as error:
            raise ParseError(f"JSON parse error - {error}") from None
