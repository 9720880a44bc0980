"""Ids for datasets and model versions: unique, sortable by creation time, never reused.

An id is a UTC timestamp to the microsecond plus a random suffix, so two ids made in the
same microsecond still differ and ids stay unique after Redis has been emptied.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timezone

from shared.errors import InvalidInput

# new_id() makes "<UTC time>Z-<6 hex digits>"; operators may also name a dataset themselves with any safe id.
ID_REGEX = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
ID_PATTERN = re.compile(ID_REGEX)


def new_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def check_id(value: str, what: str = "id") -> str:
    """Return ``value`` if it is a well-formed id, else raise naming the expected form."""
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise InvalidInput(
            f"{what} {value!r} is not a valid id: use 1-128 letters, digits, '.', '_' or '-' "
            f"starting with a letter or digit (like {new_id()!r})",
            details={"field": what, "pattern": ID_REGEX},
        )
    return value


BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DERIVED_ID_LENGTH = 22  # as Spotify's ids


def derived_id(*parts: str) -> str:
    """An id of 22 base-62 characters (the shape of a Spotify id) derived from ``parts``: the same
    on every run and machine, and different for different parts (their sha256)."""
    number = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest(), "big")
    characters = []
    for _ in range(DERIVED_ID_LENGTH):
        number, digit = divmod(number, 62)
        characters.append(BASE62[digit])
    return "".join(characters)
