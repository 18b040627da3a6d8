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

from gazette.textfold import distinct_non_ascii

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


# ASCII bytes that are not word characters (``\w``) become spaces; every other byte stays itself.
_ASCII_SPACES = bytes(b if b >= 128 or _WORD.fullmatch(chr(b)) else ord(" ") for b in range(256))
_DIGEST = type(hashlib.sha1()).digest
# The first four bytes of each 20-byte SHA-1 digest, read as one little-endian uint32 (``sha1_hash32``).
_HEAD32 = np.dtype({"names": ["head"], "formats": ["<u4"], "offsets": [0], "itemsize": 20})
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def _word_bytes(text: str) -> list[bytes]:
    """``normalize_text``'s words, UTF-8 encoded, found without a regular expression: non-word characters become
    spaces (by a byte table for ASCII, by ``str.replace`` for the few distinct others) and the rest is split."""
    if text.isascii():  # case folding ASCII is lower-casing it, and NFKD leaves it alone
        return text.lower().encode("ascii").translate(_ASCII_SPACES).split()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    for ch in distinct_non_ascii(decomposed):
        if unicodedata.combining(ch):  # dropped, as ``normalize_text`` drops it, joining what it separated
            decomposed = decomposed.replace(ch, "")
        elif not _WORD.fullmatch(ch):
            decomposed = decomposed.replace(ch, " ")
    return decomposed.encode("utf-8").translate(_ASCII_SPACES).split()


def _shingle_list(text: str, size: int = SHINGLE_WORDS) -> list[bytes]:
    """``shingles(text)`` as a list, possibly with repeats (a MinHash takes a minimum: repeats change nothing).

    Each shingle is its words joined, read off ``size`` staggered views of the word list as ``shingles`` does
    (cheaper than slicing one joined string, whose offsets cost a numpy pass and a slice object each).
    """
    words = _word_bytes(text)
    if len(words) <= size:
        return [b" ".join(words)] if words else []
    return list(map(b" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


def _minhash(found: list[bytes]) -> np.ndarray:
    """datasketch's ``MinHash.update_batch`` (``SCHEME``, ``sha1_hash32``) of ``found``, in one numpy pass:
    the SHA-1 of each shingle, MurmurHash3's 32-bit finalizer, then each permutation ``a·h + b`` (mod 2³²)."""
    digests = b"".join(map(_DIGEST, map(hashlib.sha1, found)))
    hv = np.frombuffer(digests, dtype=_HEAD32)["head"].astype(np.uint32)
    s1, m1, s2, m2, s3 = _FMIX
    hv ^= hv >> s1
    hv *= m1
    hv ^= hv >> s2
    hv *= m2
    hv ^= hv >> s3
    a, b = _permutations()
    phv = hv[:, np.newaxis] * a
    phv += b
    return phv.min(axis=0)  # type: ignore[no-any-return]


def fingerprint(text: str) -> Fingerprint:
    """The MinHash fingerprint of a text's word shingles; equal for texts that differ only in spacing or case.

    The values are datasketch's MinHash (``SCHEME``, ``SEED``, ``sha1_hash32`` per shingle of ``shingles``)
    bit for bit; the words are found with byte tables, and the hashes and permutations are taken in one pass.
    """
    found = _shingle_list(text)
    if not found:
        return Fingerprint(())
    return Fingerprint(tuple(_minhash(found).tolist()))


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
