"""Text folding: matching quotes against captured sources, and accent-blind search."""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache

# Typographic variants an editor's keyboard or a web page may swap for the plain ones.
_TYPOGRAPHIC = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u0060", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        "\u2026": "...",
    }
)
_SEARCH_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ł": "l", "ø": "o", "ß": "ss"})


def _fold_for_matching(text: str) -> tuple[str, list[int]]:
    """Return text folded for quote matching, and for each folded character its index in text.

    Characters are decomposed one by one (NFKD), so NFC and NFD spellings of Vietnamese
    letters fold alike; whitespace is dropped altogether, because captured web text often
    loses or doubles spaces ("toFrance").
    """
    folded: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        for piece in unicodedata.normalize("NFKD", char).translate(_TYPOGRAPHIC):
            if not piece.isspace():
                folded.append(piece)
                origins.append(index)
    return "".join(folded), origins


@lru_cache(maxsize=4)  # a sheet of citations quotes a few sources many times each
def _folded_source(text: str) -> tuple[str, list[int]]:
    return _fold_for_matching(text)


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where quote stands in text as (start, end) indices of text, or None if it is absent."""
    folded_quote, _ = _fold_for_matching(quote)
    if not folded_quote:
        return None
    folded_text, origins = _folded_source(text)
    position = folded_text.find(folded_quote)
    if position < 0:
        return None
    return origins[position], origins[position + len(folded_quote) - 1] + 1


@lru_cache(maxsize=20_000)  # names of organizations and fields repeat on every imported row
def fold_for_search(text: str) -> str:
    """Lower-case text without diacritics and with single spaces: "Việt - Nga" -> "viet - nga"."""
    if text.isascii():  # most imported text: nothing to decompose
        return " ".join(text.translate(_TYPOGRAPHIC).casefold().split())
    decomposed = unicodedata.normalize("NFKD", text.translate(_SEARCH_LETTERS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.translate(_TYPOGRAPHIC).casefold().split())


def normalise_text(text: str) -> str:
    """Text as a person reads it, the same from a form, a sheet or a spreadsheet program:
    line endings as \n, no spaces at the ends of lines, no blank space around the whole."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if " \n" in text or "\t\n" in text:
        text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return text.strip(" \t\n")


def search_words(query: str) -> list[str]:
    return fold_for_search(query).split()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
