"""How easy a Swedish (or English) text is to read: LIX (läsbarhetsindex) and the longest sentence.

LIX = words / sentences + 100 × long words / words, a long word having more than six letters. Below 30 reads
easily (lättläst), 30–40 is plain prose such as a newspaper, above 50 is heavy officialese. Words are runs of
letters in any alphabet (so å, ä and ö count as letters); a sentence ends at ".", "!", "?", ":" or a blank line
and holds at least one word. Links and email addresses are not read as words.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import NamedTuple

WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# A link or an address, without the full stop that may end the sentence it stands last in.
NOT_WORDS = re.compile(r"(?:https?://|\S+@)\S+?(?=[.!?:,;)]*(?:\s|$))")
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


class _PageText(HTMLParser):
    """The text a reader meets in a page's <main>: each block element its own sentence, what is hidden left out."""

    BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "td", "th", "label", "legend", "button"}
    BLOCKS |= {"summary", "option", "br", "div"}
    SKIPPED = {"script", "style", "template"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool, bool]] = []  # (tag, is <main>, hides its content) of each open element
        self.main: list[str] = []
        self.body: list[str] = []  # the whole page's text, for a page without <main>
        self.has_main = False

    def _hides(self, tag: str, attrs: dict) -> bool:
        classes = (attrs.get("class") or "").split()
        return tag in self.SKIPPED or "hidden" in attrs or attrs.get("aria-hidden") == "true" or "honeypot" in classes

    def _add(self, text: str) -> None:
        if any(hides for _tag, _main, hides in self.open):
            return
        self.body.append(text)
        if any(main for _tag, main, _hides in self.open):
            self.main.append(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.BLOCKS:
            self._add("\n\n")
        if tag in self.VOID:
            return
        self.has_main = self.has_main or tag == "main"
        self.open.append((tag, tag == "main", self._hides(tag, attrs)))

    def handle_startendtag(self, tag, attrs):
        if tag in self.BLOCKS:
            self._add("\n\n")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self._add("\n\n")
        tags = [open_tag for open_tag, _main, _hides in self.open]
        if tag in tags:  # close it and whatever was left open inside it
            del self.open[len(tags) - 1 - tags[::-1].index(tag) :]

    def handle_data(self, data):
        if self.open and self.open[-1][0] in ("head", "title"):
            return
        self._add(re.sub(r"\s+", " ", data))


def page_text(html: str) -> str:
    """The readable text of a rendered page's <main> (of the whole page when it has none), for `readability`.

    Block elements (paragraphs, headings, list items, labels, buttons, table cells, <br> …) end a sentence, as a
    reader takes them; scripts, styles, [hidden], aria-hidden="true" and the honeypot are not read."""
    parser = _PageText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.main if parser.has_main else parser.body)
    return re.sub(r"[ \t]*\n[\s]*\n\s*", "\n\n", text).strip()
