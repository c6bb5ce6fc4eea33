"""Merge fields and Markdown for coordinator-written email text."""

from __future__ import annotations

import re

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


def merge(text: str, values: dict[str, str], *, html: bool = False) -> str:
    def value(match: re.Match) -> str:
        found = values.get(FIELDS.get(match.group(1).lower(), ""), "")
        return escape(found) if html else found

    return FIELD.sub(value, text)


def markdown_html(text: str) -> str:
    """Coordinator-written Markdown as safe HTML (an allowlist: no scripts, styles or event handlers)."""
    return nh3.clean(
        markdown.markdown(text, extensions=["nl2br", "sane_lists"]),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
    )
