"""Merge fields and Markdown for coordinator-written email text."""

from __future__ import annotations

import html as html_entities
import re
from urllib.parse import quote

import markdown
import nh3
from django.utils.html import escape

FIELD = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
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
}
ALLOWED_TAGS = {"a", "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "h1", "h2", "h3", "h4", "blockquote", "hr"}


def merge_fields_unknown(text: str) -> list[str]:
    return sorted({name for name in FIELD.findall(text) if name.lower() not in FIELDS})


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
    r"""|\{\{\s*(?P<name>[^{}\s]+)\s*\}\}"""
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
        found = values.get(FIELDS.get(match.group(1).lower(), ""), "")
        parts.append(found if not "".join(parts).strip() else quote(found, safe=""))
        position = match.end()
    parts.append(html_entities.unescape(url_html[position:]))
    url = "".join(parts)
    return url if url_is_safe(url) else None


def merge(text: str, values: dict[str, str], *, html: bool = False) -> str:
    """Fill in the merge fields. In HTML, values are escaped, and a link whose merged URL would be unsafe (a
    name such as "javascript:alert(1)" in `[x]({{ first_name }})`) is left with an empty href."""
    if not html:
        return FIELD.sub(lambda match: values.get(FIELDS.get(match.group(1).lower(), ""), ""), text)

    def field(match: re.Match) -> str:
        return escape(values.get(FIELDS.get(match.group(1).lower(), ""), ""))

    def value(match: re.Match) -> str:
        if match.group("name") is not None:
            return escape(values.get(FIELDS.get(match.group("name").lower(), ""), ""))
        quote_mark = '"' if match.group("double") is not None else "'"
        content = match.group("double") if match.group("double") is not None else match.group("single")
        if not URL_ATTRIBUTE.search(match.string, max(0, match.start() - 40), match.start()):
            return f"={match.group('space')}{quote_mark}{FIELD.sub(field, content)}{quote_mark}"
        url = _merged_url(content, values)
        if url is None:  # leave the attribute without a value, which browsers ignore
            return f"={quote_mark}{quote_mark}"
        return f"={match.group('space')}{quote_mark}{escape(url)}{quote_mark}"

    return HTML_MERGE.sub(value, text)


def markdown_html(text: str) -> str:
    """Coordinator-written Markdown as safe HTML (an allowlist: no scripts, styles or event handlers)."""
    return nh3.clean(
        markdown.markdown(text, extensions=["nl2br", "sane_lists"]),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
    )
