"""Type checks on a parsed JSON body that several providers' request rules share.

JSON has one number type, but a body parsed with jsonnumbers.loads_decimal holds an int for a whole number and a
Decimal for any other; `true` and `false` are bools, which Python counts as ints, so every check here excludes
them. Pure functions: no I/O.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any


def is_int(value: Any) -> bool:
    """A JSON integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A JSON number as loads_decimal reads it: an int or a Decimal (a boolean or a float is not one)."""
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def is_positive_int(value: Any) -> bool:
    return is_int(value) and value > 0


def is_uuid(value: Any) -> bool:
    """A string in any of the spellings uuid.UUID reads (with or without hyphens or braces, any case)."""
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# A provider's clock may run a little ahead of ours; a time further ahead than this is not a time it could report.
FUTURE_TOLERANCE = timedelta(days=1)


def datetime_from_unix(seconds: float) -> datetime | None:
    """UTC time from Unix seconds, or None when the value names no time a provider could report: beyond what a
    datetime holds, or more than a day ahead of now."""
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return None if moment > datetime.now(tz=UTC) + FUTURE_TOLERANCE else moment
