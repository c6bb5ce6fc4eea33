"""What a page says: the coordinator's text when she has saved one, else the text shipped in pages/defaults/."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from .models import Page

DEFAULTS = Path(__file__).resolve().parent / "defaults"
VERSIONS = {"sv": ("title", "body"), "en": ("title_en", "body_en"), "lattlast": ("easy_title", "easy_body")}


class Text(NamedTuple):
    title: str
    body: str  # Markdown
    language: str


def default_fields(slug: str) -> dict[str, str]:
    """The shipped text of a page, as Page fields: defaults/<slug>.<version>.md, whose first line is "# heading"."""
    fields = {}
    for version, (title_field, body_field) in VERSIONS.items():
        heading, _, body = (DEFAULTS / f"{slug}.{version}.md").read_text(encoding="utf-8").partition("\n")
        fields[title_field], fields[body_field] = heading.removeprefix("# ").strip(), body.strip()
    return fields


def page(slug: str) -> Page:
    return Page.objects.filter(slug=slug).first() or Page(slug=slug, **default_fields(slug))


def text(slug: str, language: str) -> Text:
    """The page in the reader's language: English when written, else Swedish."""
    found = page(slug)
    if language == "en" and found.body_en.strip():
        return Text(found.title_en or found.title, found.body_en, "en")
    return Text(found.title, found.body, "sv")


def easy_text(slug: str) -> Text:
    found = page(slug)
    return Text(found.easy_title, found.easy_body, "sv")
