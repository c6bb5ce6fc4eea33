"""Stopping bots without CAPTCHAs, and without dropping a person: a honeypot field, a signed start time, and a
limit on accepted submissions per client IP address and per email address.

Only the honeypot is answered with a silent thank-you. A form sent too soon or from a page open for more than a day
is shown again (a person with browser autofill is fast), and the rate limit answers 429 with an honest page.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from crm.ratelimit import client_ip

SALT = "network.form-started"
FORM_MAX_AGE_SECONDS = 24 * 3600


def form_started_token(now: float | None = None) -> str:
    return signing.dumps(int(now if now is not None else time.time()), salt=SALT)


def started_in_time(token: str, now: float | None = None) -> bool:
    """True when the form was shown by us at least FORM_MIN_FILL_SECONDS and at most a day ago.

    False for a missing, forged or stale start time, or a form sent faster than a person fills it in."""
    try:
        started = signing.loads(token or "", salt=SALT, max_age=FORM_MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired included
        return False
    age = (now if now is not None else time.time()) - started
    return settings.FORM_MIN_FILL_SECONDS <= age <= FORM_MAX_AGE_SECONDS


def honeypot_filled(request) -> bool:
    """Only a bot fills the field that people never see."""
    return bool(request.POST.get("website"))


def _budgets(request, scope: str, email_address: str, now: float) -> list[tuple[str, int, int, float]]:
    """(cache key, limit, count so far, window start) of the IP's and the address's budgets for `scope`.

    A window starts with the first accepted submission and lasts FORM_RATE_WINDOW_SECONDS; a limit of 0 is none."""

    def key(kind: str, value: str) -> str:
        digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
        return f"rate:{scope}:{kind}:{digest}"

    limits = {
        key("ip", client_ip(request)): settings.FORM_RATE_LIMIT,
        key("email", email_address.strip().lower()): settings.FORM_RATE_LIMIT_PER_ADDRESS,
    }
    limits = {name: limit for name, limit in limits.items() if limit > 0}
    stored = cache.get_many([name + suffix for name in limits for suffix in (":count", ":start")])
    budgets = []
    for name, limit in limits.items():
        start = stored.get(name + ":start")
        if start is None or start + settings.FORM_RATE_WINDOW_SECONDS <= now:  # no window, or it has ended
            budgets.append((name, limit, 0, now))
        else:
            budgets.append((name, limit, stored.get(name + ":count", 0), start))
    return budgets


def rate_limited_until(request, scope: str, email_address: str, now: float | None = None) -> datetime | None:
    """None while this IP and this address may still submit `scope`; otherwise the time they may try again."""
    now = now if now is not None else time.time()
    until = [
        start + settings.FORM_RATE_WINDOW_SECONDS
        for _, limit, count, start in _budgets(request, scope, email_address, now)
        if count >= limit
    ]
    return datetime.fromtimestamp(max(until), tz=UTC) if until else None


def rate_count(request, scope: str, email_address: str, now: float | None = None) -> None:
    """Count one accepted submission against the IP's and the address's budgets for `scope`."""
    now = now if now is not None else time.time()
    window = settings.FORM_RATE_WINDOW_SECONDS
    for name, _, count, _ in _budgets(request, scope, email_address, now):
        if count:
            try:
                cache.incr(name + ":count")
                continue
            except ValueError:  # expired since we looked
                pass
        cache.set_many({name + ":count": 1, name + ":start": now}, timeout=window)
