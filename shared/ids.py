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


BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DERIVED_ID_LENGTH = 22  # as Spotify's ids
_TO_BASE62 = bytes(BASE62[byte % 62] for byte in range(256))


def derived_id(*parts: str) -> str:
    """An id of 22 base-62 characters (the shape of a Spotify id) derived from ``parts``: the same
    on every run and machine, and different for different parts (each character is one byte of
    their sha256, modulo 62)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return digest[:DERIVED_ID_LENGTH].translate(_TO_BASE62).decode()


# Derived track ids (a catalog without an id column): see docs/architecture.md, "Derived track ids".
TRACK_ID_PREFIX = "track"
_WHITESPACE = re.compile(r"[ \t\n\x0b\f\r]+")  # what \s matches in Java's regular expressions


def normalized_text(value: str | None) -> str:
    """A name as derived ids read it: lower case, each run of whitespace one space, none at the ends."""
    return "" if value is None else _WHITESPACE.sub(" ", value.lower()).strip(" ")


def derived_track_id(artist: str, name: str, *others: object) -> str:
    """The derived id of a track: its normalized artist and name, then the other fields of the
    recipe in its order (album normalized, year, duration in whole seconds; "" where a row has none)."""
    fields = [normalized_text(artist), normalized_text(name)]
    fields += ["" if value is None else normalized_text(value) if isinstance(value, str) else str(value) for value in others]
    return derived_id(TRACK_ID_PREFIX, *fields)
