"""Enrich: near-duplicate detection — MinHash fingerprints of word shingles, and an LSH index over them."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from datasketch.hashfunc import sha1_hash32
from datasketch.lsh import _optimal_param

logger = logging.getLogger(__name__)

NUM_PERM = 128
SHINGLE_WORDS = 5
SEED = 20261129  # fixed, so fingerprints stored today compare with those computed tomorrow
SCHEME = "affine32"  # named, not left to the library default, for the same reason
DUPLICATE_THRESHOLD = 0.7  # estimated Jaccard of shingle sets at or above which two texts are near-duplicates

_WORD = re.compile(r"\w+")


def normalize_text(text: str) -> list[str]:
    """The words of a text, case-folded, accents and punctuation dropped; whitespace and markup spacing vanish."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if not decomposed.isascii():
        # the combining marks are looked up once per distinct character, not once per character
        marks = {ord(ch): None for ch in set(decomposed) if unicodedata.combining(ch)}
        if marks:
            decomposed = decomposed.translate(marks)
    return _WORD.findall(decomposed)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The set of overlapping ``size``-word runs of the normalized text (a short text is one shingle)."""
    words = normalize_text(text)
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words).encode()}
    runs = map(" ".join, zip(*(words[i:] for i in range(size)), strict=False))
    return set(map(str.encode, runs))


@dataclass(frozen=True)
class Fingerprint:
    """A MinHash signature: ``NUM_PERM`` 32-bit values; ``empty`` when the text had no words."""

    values: tuple[int, ...]

    @property
    def empty(self) -> bool:
        return not self.values

    def to_bytes(self) -> bytes:
        """Compact storage form (little-endian uint32s)."""
        return np.asarray(self.values, dtype="<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> Fingerprint:
        if not data:
            return cls(())
        return cls(tuple(np.frombuffer(data, dtype="<u4").tolist()))

    def minhash(self) -> LeanMinHash:
        # the lean kind skips rebuilding the permutations, which an index rebuilt per call would pay each time
        return LeanMinHash(seed=SEED, hashvalues=np.asarray(self.values, dtype=np.uint32), scheme=SCHEME)

    def similarity(self, other: Fingerprint) -> float:
        """Estimated Jaccard similarity of the two shingle sets (0.0 when either text was empty)."""
        if self.empty or other.empty or len(self.values) != len(other.values):
            return 0.0
        a = np.asarray(self.values, dtype=np.uint32)
        b = np.asarray(other.values, dtype=np.uint32)
        return float(np.count_nonzero(a == b)) / len(a)


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The permutation parameters for ``SEED`` (drawn once per process, not once per text)."""
    a, b = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=sha1_hash32, scheme=SCHEME).permutations
    return a, b


def _shingle_hash(value: int) -> int:
    return value  # the shingles arrive already hashed (``_sha1_words``)


def _sha1_words(found: Iterable[bytes]) -> list[int]:
    """``sha1_hash32`` of every shingle, read in one pass: the first four bytes of each SHA-1, little-endian."""
    sha1 = hashlib.sha1
    packed = b"".join([sha1(s).digest()[:4] for s in found])
    return np.frombuffer(packed, dtype="<u4").tolist()  # type: ignore[no-any-return]


def fingerprint(text: str) -> Fingerprint:
    """The MinHash fingerprint of a text's word shingles; equal for texts that differ only in spacing or case.

    The values are datasketch's MinHash (``SCHEME``, ``SEED``, ``sha1_hash32`` per shingle) bit for bit; the
    hashes are taken in one pass and the permutations, drawn once per process, are applied to them all at once.
    """
    found = shingles(text)
    if not found:
        return Fingerprint(())
    mh = MinHash(
        num_perm=NUM_PERM, seed=SEED, hashfunc=_shingle_hash, scheme=SCHEME, permutations=_permutations()
    )
    mh.update_batch(_sha1_words(found))
    return Fingerprint(tuple(mh.hashvalues.tolist()))


@functools.lru_cache(maxsize=8)
def band_params(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) of the LSH index for a threshold: computed once per process.

    datasketch finds them by numerical integration (about 30 ms); an index built per article paid that each
    time, so every index takes them from here instead.
    """
    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(bands), int(rows)


class DuplicateIndex:
    """An LSH index of fingerprints by key, updated in place (``add``/``remove``) rather than rebuilt.

    ``builds`` counts the indexes made in this process (tests check that it stays flat as a store grows).
    """

    builds: ClassVar[int] = 0

    def __init__(self, threshold: float = DUPLICATE_THRESHOLD) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM, params=band_params(threshold))
        self._prints: dict[Hashable, np.ndarray] = {}
        DuplicateIndex.builds += 1

    @classmethod
    def from_fingerprints(
        cls, items: Iterable[tuple[Hashable, Fingerprint]], threshold: float = DUPLICATE_THRESHOLD
    ) -> DuplicateIndex:
        index = cls(threshold)
        for key, fp in items:
            index.add(key, fp)
        return index

    def __len__(self) -> int:
        return len(self._prints)

    def __contains__(self, key: object) -> bool:
        return key in self._prints

    def add(self, key: Hashable, fp: Fingerprint) -> None:
        """Index a fingerprint under ``key`` (replacing an earlier one); empty fingerprints are not indexed."""
        if key in self._prints:
            self.remove(key)
        if fp.empty:
            return
        self._prints[key] = np.asarray(fp.values, dtype=np.uint32)
        self._lsh.insert(key, fp.minhash(), check_duplication=False)

    def remove(self, key: Hashable) -> None:
        if self._prints.pop(key, None) is not None:
            self._lsh.remove(key)

    def query(self, fp: Fingerprint, exclude: Hashable | None = None) -> list[tuple[Hashable, float]]:
        """Keys whose fingerprints reach the threshold against ``fp``, most similar first (ties by key text)."""
        if fp.empty:
            return []
        found: list[tuple[Hashable, float]] = []
        query = np.asarray(fp.values, dtype=np.uint32)
        for key in self._lsh.query(fp.minhash()):
            if key == exclude:
                continue
            stored = self._prints[key]
            sim = float(np.count_nonzero(stored == query)) / len(query) if len(stored) == len(query) else 0.0
            if sim >= self.threshold:
                found.append((key, sim))
        found.sort(key=lambda kv: (-kv[1], str(kv[0])))
        return found
