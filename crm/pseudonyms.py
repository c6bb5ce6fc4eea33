"""Pseudonyms for erased email addresses: what is kept of an address after its owner was erased.

A keyed hash (HMAC-SHA256 with SECRET_KEY) of the normalised address, written as an address that can never be
delivered (`<64 hex digits>@erased.invalid`; `.invalid` is reserved by RFC 2606), so it fits every email field
and no mail program will ever send to it. Knowing an address, we can tell whether it was erased; from the
pseudonym alone nobody can tell which address it was without the key. When SECRET_KEY is rotated, keep the old
key in SECRET_KEY_FALLBACKS: pseudonyms made with it are still recognised (`pseudonyms`).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import salted_hmac

ERASED_DOMAIN = "erased.invalid"
_SALT = "crm.pseudonyms.erased-address"


def _normalised(address: str) -> str:
    return (address or "").strip().lower()


def pseudonym(address: str) -> str:
    """The pseudonym of `address`, made with the current SECRET_KEY."""
    digest = salted_hmac(_SALT, _normalised(address), algorithm="sha256").hexdigest()
    return f"{digest}@{ERASED_DOMAIN}"


def pseudonyms(address: str) -> set[str]:
    """Every pseudonym `address` may have been stored as: made with SECRET_KEY or one of SECRET_KEY_FALLBACKS."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    value = _normalised(address)
    return {f"{salted_hmac(_SALT, value, secret=key, algorithm='sha256').hexdigest()}@{ERASED_DOMAIN}" for key in keys}


def is_pseudonym(value: str) -> bool:
    return (value or "").endswith(f"@{ERASED_DOMAIN}")
