"""Languages as people read them: "Svenska", not "sv"."""

from __future__ import annotations

from django.conf import settings
from django.utils.text import capfirst


def language_name(code: str) -> str:
    """The name of a language of the site in the active language ("Svenska", "Engelska"), or the code itself for
    a language the site does not have."""
    names = dict(settings.LANGUAGES)
    return str(capfirst(names[code])) if code in names else code


def language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code, _name in settings.LANGUAGES]
