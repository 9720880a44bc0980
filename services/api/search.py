"""Search of the served catalog's track names and artists, built when a model loads.

Names and queries are compared in one normal form (:func:`normal_form`): Unicode compatibility
decomposition, accents and other combining marks and apostrophes dropped, lower case, other
punctuation as spaces, runs of spaces as one. So "Beyoncé", "BEYONCE" and "beyonce!" are one
name, "Don't" is "dont", and a name in another script (東京, an emoji) is found by its own characters.

A track matches a query when its name is the query (rank 0), when its name starts with it
(rank 1), or when every word of the query is a word of its name or of its artist's (rank 2);
an artist likewise by its name. Answers come by rank, then by popularity (an artist's: its
most popular track's), then by name.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

LAST = "\U0010ffff"  # sorts after every character: the end of a prefix's range


def normal_form(names: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Every name in the normal form the index compares (see the module docstring)."""
    decomposed = pc.utf8_normalize(names, form="NFKD")
    plain = pc.replace_substring_regex(decomposed, pattern=r"[\p{Mn}'’ʼ`]+", replacement="")  # marks, apostrophes
    spaced = pc.replace_substring_regex(pc.utf8_lower(plain), pattern=r"[\p{P}\s]+", replacement=" ")
    normal = pc.utf8_trim(spaced, characters=" ")
    return normal.combine_chunks() if isinstance(normal, pa.ChunkedArray) else normal


@dataclass(frozen=True)
class Matches:
    ids: np.ndarray  # the matching items (track rows, artist codes), best first
    total: int


class NameIndex:
    """Items (tracks or artists) found by name, and by the words of their name and other words."""

    def __init__(self, names: pa.Array, words: pa.Array, popularity: np.ndarray) -> None:
        self.names = names  # normal form, one per item
        self.order = pc.sort_indices(names).to_numpy()  # nulls last
        self.named = len(names) - names.null_count
        self.popularity = np.nan_to_num(popularity.astype(np.float64), nan=-1.0)
        split = pc.split_pattern(words, pattern=" ")
        items = pc.list_parent_indices(split).to_numpy()
        encoded = pc.dictionary_encode(pc.list_flatten(split))
        vocabulary = encoded.dictionary
        rank = np.empty(len(vocabulary), np.int64)
        rank[pc.sort_indices(vocabulary).to_numpy()] = np.arange(len(vocabulary))
        codes = rank[encoded.indices.to_numpy()]
        by_word = np.lexsort((items, codes))
        self.words = vocabulary.take(pa.array(np.argsort(rank)))  # sorted
        self.postings = items[by_word].astype(np.int32)  # per word, ascending items
        self.word_starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(vocabulary)))])

    def _name_range(self, low: str, high: str) -> np.ndarray:
        """Items whose name is in [low, high)."""
        names, order = self.names, self.order

        def key(i: int) -> str:
            return names[int(order[i])].as_py()

        start = bisect.bisect_left(range(self.named), low, key=key)
        end = bisect.bisect_left(range(start, self.named), high, key=key) + start
        return order[start:end]

    def _with_word(self, word: str) -> np.ndarray:
        at = bisect.bisect_left(range(len(self.words)), word, key=lambda i: self.words[i].as_py())
        if at < len(self.words) and self.words[at].as_py() == word:
            return self.postings[self.word_starts[at] : self.word_starts[at + 1]]
        return self.postings[:0]

    def find(self, query: str, wanted: int) -> Matches:
        """The best ``wanted`` matches of a query in normal form, and how many match in all."""
        if not query:
            return Matches(np.empty(0, np.int64), 0)
        exact = self._name_range(query, query + "\x00")
        prefix = np.setdiff1d(self._name_range(query, query + LAST), exact)
        words = sorted((self._with_word(word) for word in set(query.split(" "))), key=len)
        having = words[0]
        for more in words[1:]:
            having = np.intersect1d(having, more, assume_unique=True)
        having = np.setdiff1d(having, np.union1d(exact, prefix))
        best = []
        for tier in (exact, prefix, having):
            need = wanted - sum(len(b) for b in best)
            if need <= 0:
                break
            best.append(self._top(tier, need))
        found = np.concatenate(best) if best else np.empty(0, np.int64)
        return Matches(found.astype(np.int64), len(exact) + len(prefix) + len(having))

    def _top(self, items: np.ndarray, count: int) -> np.ndarray:
        """The ``count`` most popular of ``items`` (then by name, then item), in that order."""
        items = np.asarray(items, dtype=np.int64)
        if len(items) > count:
            cut = np.argpartition(-self.popularity[items], count - 1)[:count]
            threshold = self.popularity[items[cut]].min()
            items = items[self.popularity[items] >= threshold]  # ties at the cut stay, ranked below
        names = self.names.take(pa.array(items)).to_pylist()
        ranked = sorted(range(len(items)), key=lambda i: (-self.popularity[items[i]], names[i] or "", items[i]))
        return items[ranked[:count]]


class SearchIndex:
    """The index of one model's catalog: tracks by name (and artist words), artists by name."""

    def __init__(self, track_names: pa.ChunkedArray, artist_names: pa.ChunkedArray, popularity: np.ndarray,
                 artist_of_row: np.ndarray, artist_display: list[str | None]) -> None:  # fmt: skip
        names = normal_form(track_names)
        artists = normal_form(artist_names)
        both = pc.binary_join_element_wise(pc.fill_null(names, ""), pc.fill_null(artists, ""), " ")
        self.tracks = NameIndex(names, pc.utf8_trim(both, characters=" "), popularity)
        artist_popularity = np.full(len(artist_display), -1.0)
        known = artist_of_row >= 0
        np.maximum.at(artist_popularity, artist_of_row[known], np.nan_to_num(popularity[known], nan=-1.0))
        display = normal_form(pa.array(artist_display, pa.string()))
        self.artists = NameIndex(display, pc.fill_null(display, ""), artist_popularity)

    @staticmethod
    def normal(query: str) -> str:
        return normal_form(pa.array([query]))[0].as_py() or ""
