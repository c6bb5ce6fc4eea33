"""Merge fields and Markdown for coordinator-written email text."""

from __future__ import annotations

import html as html_entities
import re
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import quote

import markdown
import nh3
from django.utils.html import escape

# {{ name }}, or {{ name|"fallback" }}: the fallback (in "straight", “typographic” or 'single' quotes) is used when
# the person's value is empty. In HTML a quote may arrive escaped, as &quot; or &#x27; (a subject in the <title>).
FIELD = re.compile(
    r"""\{\{\s*(?P<field>[^{}\s|"'“”]+)\s*"""
    r"""(?:\|\s*(?:"(?P<dq>[^"{}]*)"|&(?:quot|\#x27|\#39);(?P<eq>[^"{}]*?)&(?:quot|\#x27|\#39);|'(?P<sq>[^'{}]*)'|[“”](?P<tq>[^“”"{}]*)[“”])\s*)?"""
    r"""\}\}"""
)
FALLBACK_GROUPS = ("dq", "eq", "sq", "tq")
# Anything written as a merge field, well-formed or not: what the validation looks at.
FIELD_LIKE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
# What the coordinator may write (English or Swedish) → the value's name.
FIELDS = {
    "first_name": "first_name",
    "förnamn": "first_name",
    "last_name": "last_name",
    "efternamn": "last_name",
    "full_name": "full_name",
    "namn": "full_name",
    "locality": "locality",
    "ort": "locality",
    "unsubscribe_url": "unsubscribe_url",
    # An invitation's personal link to answer yes or no (/svar/<token>/); empty in other campaigns.
    "rsvp_url": "rsvp_url",
    "svarslänk": "rsvp_url",
}
ALLOWED_TAGS = {"a", "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "h1", "h2", "h3", "h4", "blockquote", "hr"}


# What an empty value reads as when the text gives no fallback: every ambassador lives in Kramfors municipality,
# so "… i {{ ort }}." still ends "… i Kramfors."; a name without a fallback is left out with the space before it
# ("Hej {{ first_name }}!" reads "Hej!").
DEFAULTS = {"locality": "Kramfors"}


def merge_fields_unknown(text: str) -> list[str]:
    """The unknown field names, and anything between {{ and }} that is not a merge field as written (such as
    {{ first_name|vän }} without quotes): left as it is, it would reach the recipient."""
    problems = set()
    for found in FIELD_LIKE.finditer(text):
        field = FIELD.fullmatch(found.group(0))
        if field is None:
            problems.add(found.group(0))
        elif field["field"].lower() not in FIELDS:
            problems.add(field["field"])
    return sorted(problems)


def field_value(match: re.Match, values: dict[str, str], *, html: bool = False) -> str:
    """A merge field's value: the person's, else the field's fallback, else the default (see DEFAULTS).
    In HTML the fallback is HTML text (sanitised Markdown): it is decoded here and escaped by the caller."""
    key = FIELDS.get(match["field"].lower(), "")
    value = values.get(key, "")
    if value.strip():
        return value
    fallback = next((match[group] for group in FALLBACK_GROUPS if match[group] is not None), None)
    if fallback is not None:
        return html_entities.unescape(fallback) if html else fallback
    return DEFAULTS.get(key, "")


def merge_values(ambassador) -> dict[str, str]:
    return {
        "first_name": ambassador.first_name,
        "last_name": ambassador.last_name,
        "full_name": ambassador.full_name,
        "locality": ambassador.locality.name if ambassador.locality_id else "",
    }


URL_SCHEMES = {"http", "https", "mailto"}
SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
# In HTML, one pass finds either a quoted attribute value holding merge fields or a merge field anywhere else
# (one pass, so that a value is never merged again; it starts at "=" or "{", which keeps the scan fast).
HTML_MERGE = re.compile(
    r"""=(?P<space>\s*)(?:"(?P<double>[^"]*\{\{[^"]*)"|'(?P<single>[^']*\{\{[^']*)')"""
    rf"""|(?P<name>{FIELD.pattern})"""
)
# The attributes whose value is a URL, just before the "=".
URL_ATTRIBUTE = re.compile(r"\b(?:href|src|action|formaction|background|cite|poster)\s*\Z", re.IGNORECASE)
# What browsers ignore in a URL: leading and trailing C0 controls and spaces, and tabs and newlines anywhere.
URL_IGNORED = re.compile(r"[\t\n\r]")
URL_STRIPPED = "".join(chr(code) for code in range(0x21))


def url_is_safe(url: str) -> bool:
    """A relative URL, or one with an allowed scheme (no javascript:, data:, vbscript: ...)."""
    found = SCHEME.match(URL_IGNORED.sub("", url).strip(URL_STRIPPED))
    return found is None or found.group(1).lower() in URL_SCHEMES


def _merged_url(url_html: str, values: dict[str, str]) -> str | None:
    """A URL attribute's value with its merge fields filled in, or None when the result is not safe. A value
    that starts the URL (the unsubscribe link) goes in as it is, any later one URL-encoded; then the whole URL,
    as the browser reads it, must pass url_is_safe."""
    parts, position = [], 0
    for match in FIELD.finditer(url_html):
        parts.append(html_entities.unescape(url_html[position : match.start()]))
        found = field_value(match, values, html=True)
        parts.append(found if not "".join(parts).strip() else quote(found, safe=""))
        position = match.end()
    parts.append(html_entities.unescape(url_html[position:]))
    url = "".join(parts)
    return url if url_is_safe(url) else None


def _filled(text: str, matches, replacement) -> str:
    """`text` with each match replaced by `replacement(match)`: a string, or for a merge field a (value, True) pair.
    A field that comes out empty leaves no gap: the spaces before it go too ("Hej {{ first_name }}!" → "Hej!"), or,
    at the start of a line, element or parenthesis, the spaces after it."""
    out: list[str] = []
    position = 0
    for match in matches:
        before = text[position : match.start()]
        position = match.end()
        value = replacement(match)
        if isinstance(value, tuple):
            value, _field = value
            if not value:  # a field that came out empty
                if before.endswith((" ", "\t")):
                    before = before.rstrip(" \t")
                elif not before or before.endswith(("\n", ">", "(")):
                    while position < len(text) and text[position] in " \t":
                        position += 1
        out.append(before)
        out.append(value)
    out.append(text[position:])
    return "".join(out)


@lru_cache(maxsize=64)
def _matches(pattern: re.Pattern, text: str) -> tuple[re.Match, ...]:
    """Where the merge fields are in a text: found once per template, not once per recipient."""
    return tuple(pattern.finditer(text))


def merge(text: str, values: dict[str, str], *, html: bool = False) -> str:
    """Fill in the merge fields, with their fallbacks ({{ first_name|"vän" }}) where a value is empty. In HTML,
    values are escaped, and a link whose merged URL would be unsafe (a name such as "javascript:alert(1)" in
    `[x]({{ first_name }})`) is left with an empty href."""
    if not html:
        return _filled(text, _matches(FIELD, text), lambda match: (field_value(match, values), True))

    def value(match: re.Match) -> str | tuple[str, bool]:
        if match.group("name") is not None:
            return escape(field_value(match, values, html=True)), True
        quote_mark = '"' if match.group("double") is not None else "'"
        content = match.group("double") if match.group("double") is not None else match.group("single")
        if not URL_ATTRIBUTE.search(match.string, max(0, match.start() - 40), match.start()):
            merged = FIELD.sub(lambda field: escape(field_value(field, values, html=True)), content)
            return f"={match.group('space')}{quote_mark}{merged}{quote_mark}"
        url = _merged_url(content, values)
        if url is None:  # leave the attribute without a value, which browsers ignore
            return f"={quote_mark}{quote_mark}"
        return f"={match.group('space')}{quote_mark}{escape(url)}{quote_mark}"

    return _filled(text, _matches(HTML_MERGE, text), value)


def markdown_html(text: str) -> str:
    """Coordinator-written Markdown as safe HTML (an allowlist: no scripts, styles or event handlers)."""
    return nh3.clean(
        markdown.markdown(text, extensions=["nl2br", "sane_lists"]),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
    )


class _PlainText(HTMLParser):
    """Sanitised Markdown HTML (markdown_html: only ALLOWED_TAGS) as plain text for an email's text/plain part:
    no Markdown syntax left, links as "text (url)", headings as plain lines, list items with "- " (or "1. ")."""

    BLOCKS = {"p", "h1", "h2", "h3", "h4", "ul", "ol", "blockquote", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[list] = []  # [tag, next number] of each open list
        self.links: list[tuple[str, int]] = []  # (href, where its text starts in parts) of each open link
        self.quotes: list[int] = []  # where each open blockquote starts in parts

    def _text(self) -> str:
        return "".join(self.parts)

    def _break(self, lines: int) -> None:
        """End the current line, and leave `lines - 1` empty lines (never at the very start)."""
        text = self._text()
        if not text.strip():
            return
        trailing = len(text) - len(text.rstrip("\n"))
        if trailing < lines:
            self.parts.append("\n" * (lines - trailing))

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self._break(1 if self.lists and tag in ("ul", "ol", "p") else 2)
        if tag in ("ul", "ol"):
            self.lists.append([tag, 1])
        elif tag == "li":
            self._break(1)
            kind = self.lists[-1] if self.lists else ["ul", 1]
            marker = "- " if kind[0] == "ul" else f"{kind[1]}. "
            kind[1] += 1
            self.parts.append("  " * max(len(self.lists) - 1, 0) + marker)
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "hr":
            self.parts.append("――――――――――")
            self._break(2)
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        elif tag == "blockquote":
            self.quotes.append(len(self.parts))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.parts[start:]).strip()
            if href and href not in (label, f"mailto:{label}"):
                self.parts.append(f" ({href})" if label else href)
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self._break(1 if self.lists else 2)
        elif tag == "blockquote" and self.quotes:
            start = self.quotes.pop()
            quoted = "".join(self.parts[start:]).strip("\n")
            self.parts[start:] = ["\n".join(f"> {line}".rstrip() for line in quoted.splitlines())]
            self._break(2)
        elif tag in self.BLOCKS:
            self._break(2)

    def handle_data(self, data):
        text = re.sub(r"\s+", " ", data)
        if self._text().endswith(("\n", " ")) or not self.parts:
            text = text.lstrip(" ")
        self.parts.append(text)

    def result(self) -> str:
        lines = [line.rstrip() for line in self._text().splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def markdown_text(text: str) -> str:
    """Coordinator-written Markdown as readable plain text: what the text/plain part of an email shows."""
    parser = _PlainText()
    parser.feed(markdown_html(text))
    parser.close()
    return parser.result()
