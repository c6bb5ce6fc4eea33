"""Anpassa: the reader's choice of text size, contrast and line spacing, kept in a cookie for a year and shown as
classes on every public page's <html> element (the looks themselves are in crm/static/crm/site.css).

The cookie holds one value per aid, in the order of AIDS, e.g. "larger.dark.wide". A value we do not know (an old
or a tampered cookie, a made-up form field) counts as that aid's default: the worst it gives is the standard look.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils.translation import gettext_lazy as _

COOKIE_NAME = "anpassa"
COOKIE_MAX_AGE = 365 * 24 * 3600
SEPARATOR = "."

# Each aid: its legend and its choices, the first being the default (no class on <html>).
AIDS = {
    "text": (_("Text size"), {"normal": _("Normal"), "larger": _("Larger"), "largest": _("Largest")}),
    "contrast": (_("Contrast"), {"standard": _("Standard"), "dark": _("Dark"), "high": _("High contrast")}),
    "spacing": (_("Line spacing"), {"normal": _("Normal"), "wide": _("Wider")}),
}
DEFAULTS = {name: next(iter(choices)) for name, (_legend, choices) in AIDS.items()}


def clean(values: Mapping) -> dict[str, str]:
    """Each aid's value from `values` (a form's data), or its default when missing or unknown."""
    chosen = {}
    for name, (_legend, choices) in AIDS.items():
        value = values.get(name)
        chosen[name] = value if isinstance(value, str) and value in choices else DEFAULTS[name]
    return chosen


def from_cookie(value: str | None) -> dict[str, str]:
    parts = (value or "").split(SEPARATOR)
    if len(parts) != len(AIDS):
        return dict(DEFAULTS)
    return clean(dict(zip(AIDS, parts, strict=True)))


def to_cookie(chosen: Mapping[str, str]) -> str:
    return SEPARATOR.join(chosen[name] for name in AIDS)


def read(request) -> dict[str, str]:
    return from_cookie(request.COOKIES.get(COOKIE_NAME))


def remember(response, chosen: Mapping[str, str]) -> None:
    """Set the cookie: read by the server only (httponly), sent along from links on other sites (Lax)."""
    response.set_cookie(
        COOKIE_NAME,
        to_cookie(chosen),
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
    )


def classes(chosen: Mapping[str, str]) -> str:
    """The classes for <html>, e.g. "text-larger contrast-dark spacing-wide"; none for a default."""
    return " ".join(f"{name}-{value}" for name, value in chosen.items() if value != DEFAULTS[name])


def fieldsets(chosen: Mapping[str, str]) -> list[dict]:
    """What the form shows: a fieldset per aid, its radio buttons with the current choice checked."""
    return [
        {
            "name": name,
            "legend": legend,
            "options": [
                {"value": value, "label": label, "checked": chosen[name] == value} for value, label in choices.items()
            ],
        }
        for name, (legend, choices) in AIDS.items()
    ]
