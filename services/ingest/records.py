"""Where the records of a CSV file start, from the positions of its newlines and quotes.

A newline ends a record unless it lies inside a quoted field. A quote opens a field only
at the start of one (after a comma or a newline); inside a field, ``""`` is an escaped
quote and an odd run of quotes closes it, so a stray quote in an unquoted field (``12" Mix``)
changes nothing. Each run of quotes is a function on the state "inside a quoted field or
not": an odd run at a field start toggles it, an odd run elsewhere closes, an even run
keeps it. Composing those functions is a cumulative sum, so the whole file is done in
NumPy.

Lines holding only whitespace are skipped, as Spark's reader (which trims cells) skips them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Above this many changes of the line shift, rejects do not name their line.
MAX_LINE_STEPS = 10_000
_NEWLINE, _COMMA, _SPACE = 10, 44, 32


@dataclass(frozen=True)
class Structure:
    data: np.ndarray
    starts: np.ndarray  # first byte of every line
    ends: np.ndarray  # its newline (or the end of the file)
    inside: np.ndarray  # the newline ending the line lies inside a quoted field
    balanced: bool  # every quoted field is closed

    @property
    def quoted_newlines(self) -> bool:
        return bool(self.inside[:-1].any()) if len(self.inside) else False

    def _blank(self) -> np.ndarray:
        """Lines holding nothing but whitespace, which Spark's reader skips."""
        length = self.ends - self.starts
        blank = length == 0
        first = self.data[np.minimum(self.starts, max(len(self.data) - 1, 0))] if len(self.data) else self.starts
        for line in np.flatnonzero((length > 0) & (first <= _SPACE)):
            if int(self.data[self.starts[line] : self.ends[line]].max()) <= _SPACE:
                blank[line] = True
        return blank

    def records(self, multiline: bool) -> tuple[int, tuple[tuple[int, int], ...] | None]:
        """(number of data records, line steps) when read in the given mode.

        A record's line is ``record + 2 + shift`` (the header is line 1), where the shift is
        that of the last step at or before the record; ``None`` when there are too many steps.
        """
        if not len(self.starts):
            return 0, ()
        starts_record = ~self._blank()
        if multiline:
            starts_record[1:] &= ~self.inside[:-1]
        lines = np.flatnonzero(starts_record)[1:] + 1  # 1-based, after the header
        shift = lines - (np.arange(len(lines)) + 2)
        change = np.flatnonzero(np.diff(shift, prepend=0) != 0)
        if len(change) > MAX_LINE_STEPS:
            return len(lines), None
        return len(lines), tuple(zip(change.tolist(), shift[change].tolist()))


def _inside_after_runs(data: np.ndarray, quotes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first position of each quote run, inside-a-field state after it)."""
    breaks = np.flatnonzero(np.diff(quotes) != 1) + 1
    first = quotes[np.r_[0, breaks]]
    last = quotes[np.r_[breaks - 1, len(quotes) - 1]]
    odd = ((last - first + 1) & 1) == 1
    previous = np.where(first > 0, data[np.maximum(first - 1, 0)], _NEWLINE)
    at_field_start = (previous == _COMMA) | (previous == _NEWLINE)
    toggles = np.cumsum(odd & at_field_start)
    closes = odd & ~at_field_start
    last_close = np.maximum.accumulate(np.where(closes, np.arange(len(first)), -1))
    base = np.where(last_close >= 0, toggles[np.maximum(last_close, 0)], 0)
    return first, ((toggles - base) & 1).astype(bool)


def structure(data: np.ndarray, newlines: np.ndarray, quotes: np.ndarray) -> Structure:
    """The lines of ``data`` and which of their newlines lie inside quoted fields."""
    size = len(data)
    ends = newlines if size == 0 or data[-1] == _NEWLINE else np.append(newlines, size)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64) if len(ends) else ends
    if not len(quotes):
        return Structure(data, starts, ends, np.zeros(len(ends), bool), True)
    first, state = _inside_after_runs(data, quotes)
    run = np.searchsorted(first, ends) - 1
    inside = (run >= 0) & state[np.maximum(run, 0)]
    return Structure(data, starts, ends, inside, not bool(state[-1]))
