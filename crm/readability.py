"""How easy a Swedish (or English) text is to read: LIX (läsbarhetsindex) and the longest sentence.

LIX = words / sentences + 100 × long words / words, a long word having more than six letters. Below 30 reads
easily (lättläst), 30–40 is plain prose such as a newspaper, above 50 is heavy officialese. Words are runs of
letters in any alphabet (so å, ä and ö count as letters); a sentence ends at ".", "!", "?", ":" or a blank line
and holds at least one word. Links and email addresses are not read as words.
"""

from __future__ import annotations

import re
from typing import NamedTuple

WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
NOT_WORDS = re.compile(r"https?://\S+|\S+@\S+")
SENTENCE_END = re.compile(r"[.!?:]+(?=\s|$)|\n\s*\n")


class Readability(NamedTuple):
    lix: float
    words: int
    sentences: int
    longest_sentence: int  # in words
    longest: str  # that sentence, to show the writer


def sentences(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE_END.split(NOT_WORDS.sub(" ", text)) if WORD.search(part)]


def readability(text: str) -> Readability:
    parts = sentences(text)
    counts = [len(WORD.findall(part)) for part in parts]
    words = [word for part in parts for word in WORD.findall(part)]
    if not words:
        return Readability(0.0, 0, 0, 0, "")
    long_words = sum(len(word.replace("-", "").replace("'", "").replace("’", "")) > 6 for word in words)
    longest = max(range(len(parts)), key=counts.__getitem__)
    lix = len(words) / len(parts) + 100 * long_words / len(words)
    return Readability(round(lix, 1), len(words), len(parts), counts[longest], parts[longest])


def lix(text: str) -> float:
    return readability(text).lix


def long_sentences(text: str, limit: int) -> list[str]:
    """The sentences of more than `limit` words, in order."""
    return [part for part in sentences(text) if len(WORD.findall(part)) > limit]
