"""Search of the served catalog's track names and artists, built when a model loads.

Names and queries are compared in one normal form (:func:`normal_text`), character by character:
Unicode compatibility decomposition, combining marks (accents) and apostrophes dropped, lower
case, other punctuation as a space; then runs of spaces as one. So "Beyoncé", "BEYONCE" and
"beyonce!" are one name, "Don't" is "dont", and a name in another script (東京, an emoji) is
found by its own characters.

A track matches a query when its name is the query (rank 0), when its name starts with it
(rank 1), or when every word of the query is a word of its name or of its artist's (rank 2);
an artist likewise by its name. Answers come by rank, then by popularity (an artist's: its
most popular track's), then by name. Names are kept sorted, so the names equal to or starting
with a query are one range found by binary search; each word keeps the sorted list of the
items it appears in.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

APOSTROPHES = frozenset("'’ʼ`")
LAST = "\U0010ffff"  # sorts after every character: the end of a prefix's range


def _is_gap(character: str) -> bool:
    return unicodedata.category(character).startswith("P") or character.isspace()


class _CharacterForms(dict):
    """Each character's normal form, worked out the first time it is met (for ``str.translate``)."""

    def __missing__(self, code: int) -> str:
        character = chr(code)
        if character in APOSTROPHES:
            form = ""
        elif _is_gap(character):
            form = " "
        else:
            parts = unicodedata.normalize("NFKD", character)
            kept = [p for p in parts if unicodedata.category(p) != "Mn" and p not in APOSTROPHES]
            form = "".join(" " if _is_gap(p) else p.lower() for p in kept)
        self[code] = form
        return form


_FORMS = _CharacterForms()


def normal_text(text: str) -> str:
    """A name or a query in the normal form the index compares (see the module docstring)."""
    return " ".join(text.translate(_FORMS).split())


@dataclass(frozen=True)
class Matches:
    ids: np.ndarray  # the matching items (track rows, artist codes), best first
    total: int


def normal_array(texts: Iterable[str | None]) -> pa.Array:
    return pa.array([normal_text(t) if t is not None else None for t in texts], pa.string())


class NameIndex:
    """Items (tracks or artists) found by name, and by the words of their name and of other text
    (both in normal form)."""

    def __init__(self, normal: pa.Array, words: pa.Array, popularity: np.ndarray) -> None:
        self.order = pc.sort_indices(normal).to_numpy()  # by name, the unnamed last
        self.sorted_names = normal.take(pa.array(self.order))
        self.named = len(normal) - normal.null_count
        self.rank = np.empty(len(normal), np.int64)  # an item's place in name order
        self.rank[self.order] = np.arange(len(normal))
        self.popularity = np.nan_to_num(popularity.astype(np.float64), nan=-1.0)
        split = pc.split_pattern(pc.fill_null(words, ""), pattern=" ")
        items = pc.list_parent_indices(split).to_numpy().astype(np.int64)
        encoded = pc.dictionary_encode(pc.list_flatten(split))
        vocabulary = encoded.dictionary
        word_rank = np.empty(len(vocabulary), np.int64)
        word_rank[pc.sort_indices(vocabulary).to_numpy()] = np.arange(len(vocabulary))
        codes = word_rank[encoded.indices.to_numpy()]
        by_word = np.lexsort((items, codes))
        codes, items = codes[by_word], items[by_word]
        first = np.ones(len(codes), bool)
        first[1:] = (codes[1:] != codes[:-1]) | (items[1:] != items[:-1])  # a word twice in one text counts once
        codes, items = codes[first], items[first]
        self.words = vocabulary.take(pa.array(np.argsort(word_rank)))  # sorted
        self.postings = items  # per word, its items ascending
        self.word_starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(vocabulary)))])

    def _name_at(self, position: int) -> str:
        return self.sorted_names[position].as_py()

    def _names_from(self, low: str, start: int = 0) -> int:
        """The first position in name order whose name is not below ``low``."""
        return bisect.bisect_left(range(start, self.named), low, key=self._name_at) + start

    def _with_word(self, word: str) -> np.ndarray:
        at = bisect.bisect_left(range(len(self.words)), word, key=lambda i: self.words[i].as_py())
        if at < len(self.words) and self.words[at].as_py() == word:
            return self.postings[self.word_starts[at] : self.word_starts[at + 1]]
        return self.postings[:0]

    def _having_every(self, words: set[str]) -> np.ndarray:
        """Items with every word, ascending: the rarest word's items, kept where the others have them."""
        having = None
        for found in sorted((self._with_word(word) for word in words), key=len):
            if having is None:
                having = found
            else:
                at = np.minimum(np.searchsorted(found, having), len(found) - 1) if len(found) else having[:0]
                having = having[found[at] == having] if len(found) else having[:0]
            if not len(having):
                break
        return having if having is not None else self.postings[:0]

    def find(self, query: str, wanted: int) -> Matches:
        """The best ``wanted`` matches of a query in normal form, and how many match in all."""
        if not query:
            return Matches(np.empty(0, np.int64), 0)
        start = self._names_from(query)
        exact_end = self._names_from(query + "\x00", start)  # names equal to the query
        prefix_end = self._names_from(query + LAST, exact_end)  # then those that start with it
        having = self._having_every(set(query.split(" ")))
        having = having[(self.rank[having] < start) | (self.rank[having] >= prefix_end)]  # not matched by name already
        best: list[np.ndarray] = []
        for tier in (self.order[start:exact_end], self.order[exact_end:prefix_end], having):
            need = wanted - sum(len(b) for b in best)
            if need <= 0:
                break
            best.append(self._top(tier, need))
        found = np.concatenate(best) if best else np.empty(0, np.int64)
        return Matches(found.astype(np.int64), (prefix_end - start) + len(having))

    def _top(self, items: np.ndarray, count: int) -> np.ndarray:
        """The ``count`` most popular of ``items`` (then by name, then item), in that order."""
        items = np.asarray(items, dtype=np.int64)
        if len(items) > count:
            cut = np.argpartition(-self.popularity[items], count - 1)[:count]
            threshold = self.popularity[items[cut]].min()
            items = items[self.popularity[items] >= threshold]  # ties at the cut stay, ranked below
        ranked = np.lexsort((items, self.rank[items], -self.popularity[items]))
        return items[ranked[:count]]


class SearchIndex:
    """The index of one model's catalog: tracks by name (and by their artist's words), artists by name."""

    def __init__(self, track_names: list[str | None], popularity: np.ndarray, artist_of_row: np.ndarray,
                 artist_names: list[str | None]) -> None:  # fmt: skip
        """``artist_of_row``: each track's artist (-1: none), an index into ``artist_names``."""
        names, artists = normal_array(track_names), normal_array(artist_names)
        track_artists = artists.take(pa.array(np.where(artist_of_row >= 0, artist_of_row, 0))) if len(artists) else names
        track_artists = pc.if_else(pa.array(artist_of_row >= 0), track_artists, pa.nulls(len(names), pa.string()))
        words = pc.binary_join_element_wise(pc.fill_null(names, ""), pc.fill_null(track_artists, ""), " ")
        self.tracks = NameIndex(names, words, popularity)
        artist_popularity = np.full(len(artist_names), -1.0)
        known = artist_of_row >= 0
        np.maximum.at(artist_popularity, artist_of_row[known], np.nan_to_num(popularity[known], nan=-1.0))
        self.artists = NameIndex(artists, artists, artist_popularity)

    @staticmethod
    def normal(query: str) -> str:
        return normal_text(query)
