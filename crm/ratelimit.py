"""A rate limit on every public POST, whatever the view: sign-up, recommendation, a new confirmation link, confirming,
unsubscribing, the preferences page, RSVP, Mina sidor (asking for a link, signing in, every change), an objection,
the language switch, and any POST view added later.

Counted per client IP address and page (`POST_RATE_LIMIT` in `FORM_RATE_WINDOW_SECONDS`, every POST, valid or not)
and, for a page reached from a link with a token, per token as well (`POST_RATE_LIMIT_PER_TOKEN`): a guessed or
leaked token cannot be hammered from many addresses. Over a limit the answer is 429 with a page saying when to try
again, and the view is not run.

The forms' own limits (network.abuse: accepted submissions per address and per IP, with the form kept as typed)
still apply before this one is reached; this is the backstop for every POST.

Not counted: the admin (staff, behind a login that django-axes locks after failed passwords), the ESP's webhooks
(authenticated, and bursty by nature), and the RFC 8058 one-click unsubscribe per IP: mail providers send those
from a few shared addresses for all their users. One-click is limited per token only, and over the limit it still
answers 200 as RFC 8058 asks, without running the view again (the first POST of that token did the work).
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render

EXEMPT_PREFIXES = ("/admin/", "/webhooks/")


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind our own proxy (TRUST_X_FORWARDED_FOR) the one it saw."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            # The rightmost entry is the one our own proxy added; the others are the client's to forge.
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def is_one_click(request) -> bool:
    return request.POST.get("List-Unsubscribe") == "One-Click"


def _key(scope: str, kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
    return f"post-rate:{scope}:{kind}:{digest}"


def _count(key: str, limit: int) -> bool:
    """Count one POST against `key`; True while within `limit` (0: no limit). A fixed window per key."""
    if limit <= 0:
        return True
    cache.add(key, 0, timeout=settings.FORM_RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.FORM_RATE_WINDOW_SECONDS)
        count = 1
    return count <= limit


class PublicPostRateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.path.startswith(EXEMPT_PREFIXES):
            return None
        match = request.resolver_match
        scope = (match.view_name if match else "") or request.path
        token = view_kwargs.get("token")
        one_click = is_one_click(request)
        allowed = True
        if token is not None:
            allowed = _count(_key(scope, "token", token), settings.POST_RATE_LIMIT_PER_TOKEN) and allowed
        if not one_click:
            allowed = _count(_key(scope, "ip", client_ip(request)), settings.POST_RATE_LIMIT) and allowed
        if allowed:
            return None
        if one_click:
            return HttpResponse("Unsubscribed.", content_type="text/plain; charset=utf-8")
        window = settings.FORM_RATE_WINDOW_SECONDS
        response = render(request, "429.html", {"minutes": max(1, math.ceil(window / 60))}, status=429)
        response["Retry-After"] = str(window)
        return response
