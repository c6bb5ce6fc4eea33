"""Stopping bots without CAPTCHAs: a honeypot field, a minimum fill time and a per-IP rate limit."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache

SALT = "network.form-started"


def form_started_token(now: float | None = None) -> str:
    return signing.dumps(int(now if now is not None else time.time()), salt=SALT)


def filled_too_fast(token: str, now: float | None = None) -> bool:
    """True for a missing or forged timestamp, or a form submitted faster than a person can fill it."""
    try:
        started = signing.loads(token or "", salt=SALT, max_age=24 * 3600)
    except signing.BadSignature:
        return True
    return (now if now is not None else time.time()) - started < settings.FORM_MIN_FILL_SECONDS


def client_ip(request) -> str:
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            # The rightmost entry is the one our own proxy added; the others are the client's to forge.
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def rate_limited(request, scope: str) -> bool:
    """Count this request against the IP's budget for `scope`; True once it is spent."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip(request)}".encode()).hexdigest()[:32]
    key = f"rate:{scope}:{digest}"
    window = settings.FORM_RATE_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > settings.FORM_RATE_LIMIT


def looks_like_bot(request) -> bool:
    return bool(request.POST.get("website")) or filled_too_fast(request.POST.get("started", ""))
