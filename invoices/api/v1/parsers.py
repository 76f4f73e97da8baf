"""The v1 API reads JSON only, and reads it strictly: fractions as Decimal (an amount is never rounded through a
float), NaN and Infinity refused, invalid UTF-8, deep nesting and oversized bodies answered 400/413 rather than a
crash."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from backoffice.api_errors import PayloadTooLarge


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(
        self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if stream is None:
            return {}
        body = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(body) > limit:
            raise PayloadTooLarge(limit)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("Malformed JSON: the body is not UTF-8.") from None
        try:
            return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise ParseError(f"Malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"Malformed JSON: {exc}.") from None
