"""Signed, purpose-salted, time-limited tokens for the links we email (confirm, unsubscribe, RSVP, magic link)."""

from __future__ import annotations

from django.core import signing


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def token_make(purpose: str, value) -> str:
    """Not compressed: our values (a few ids, a random secret) never come out shorter, so Django would have thrown
    the compressed bytes away, and a newsletter makes one token per message. Tokens compressed earlier still read."""
    return signing.dumps(value, salt=f"ambassador.{purpose}")


def token_read(purpose: str, token: str, *, max_age: float | None = None):
    try:
        return signing.loads(token, salt=f"ambassador.{purpose}", max_age=max_age)
    except signing.SignatureExpired:
        raise TokenExpired from None
    except signing.BadSignature:
        raise TokenInvalid from None
