"""Languages as people read them: "Svenska", not "sv"."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.text import capfirst

# A link's language: /bekrafta/…/?lang=en opens in English (crm.middleware.LanguageMiddleware).
LANGUAGE_PARAMETER = "lang"


def language_name(code: str) -> str:
    """The name of a language of the site in the active language ("Svenska", "Engelska"), or the code itself for
    a language the site does not have."""
    names = dict(settings.LANGUAGES)
    return str(capfirst(names[code])) if code in names else code


def language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code, _name in settings.LANGUAGES]


def with_language(url: str, language: str) -> str:
    """A link for an email, opening in its reader's language: `?lang=en` added for a language other than the
    site's default (Swedish links stay as they were). For every link we email: confirmation, unsubscribe, …"""
    if language == settings.LANGUAGE_CODE or language not in dict(settings.LANGUAGES):
        return url
    return f"{url}{'&' if urlsplit(url).query else '?'}{LANGUAGE_PARAMETER}={language}"
