"""Compact JSON with exact decimal numbers, for provider bodies.

The standard library writes a Decimal only through float (turning 0.1 + 0.2 into 0.30000000000000004) or as a
string (changing the JSON type the provider expects). This writer renders a Decimal as the JSON number literal
of its exact digits, and refuses floats so that none slips into a money field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def decimal_literal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} has no JSON representation")
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


def dumps_compact(value: Any) -> str:
    """JSON without whitespace between tokens; Decimal as an exact number; float refused."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return decimal_literal(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError("floats are not sent to providers: use Decimal")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}:{dumps_compact(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps_compact(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def loads_decimal(text: str) -> Any:
    """Parse JSON keeping every non-integer number as a Decimal (never a float)."""
    return json.loads(text, parse_float=Decimal)
