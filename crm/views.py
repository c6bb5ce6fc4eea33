from __future__ import annotations

from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_http_methods

from . import adapt as reading_aids
from . import health
from .mailbox import mailbox_message, mailbox_messages


@cache
def _favicon() -> bytes:
    return (Path(__file__).resolve().parent / "static" / "favicon.ico").read_bytes()


@cache_control(public=True, max_age=7 * 24 * 3600)
def favicon(request):
    """/favicon.ico, which browsers ask for on every site (also at /static/favicon.ico, named in base.html)."""
    return HttpResponse(_favicon(), content_type="image/x-icon")


def _safe_next(request, candidate: str | None, fallback: str = "/") -> str:
    """Only a page of this site: `next` comes from the form, which anyone can change."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


@require_http_methods(["GET", "POST"])
def adapt(request):
    """/anpassa/: the header's Anpassa form as a page of its own (GET), and where that form posts: the choices go
    into a cookie (crm/adapt.py) and the reader goes back to the page they came from. site.js posts with fetch
    (X-Requested-With: fetch), which needs no page back."""
    if request.method == "POST":
        chosen = reading_aids.clean(request.POST)
        if request.headers.get("X-Requested-With") == "fetch":
            response = HttpResponse(status=204)
        else:
            response = redirect(_safe_next(request, request.POST.get("next")))
        reading_aids.remember(response, chosen)
        return response
    return render(request, "crm/adapt.html", {"adapt_next": _safe_next(request, request.GET.get("next"), request.path)})


@never_cache
def healthz(request):
    """200 when the database and the broker answer and the worker and beat have been seen lately; otherwise 503 and
    what is wrong, e.g. {"status": "error", "problems": {"worker": "the Celery worker … has not been seen since …"}}.
    For monitoring and compose's healthchecks; no personal data, no login."""
    with translation.override("en"):
        found = {problem.part: str(problem) for problem in health.problems()}
    if found:
        return JsonResponse({"status": "error", "problems": found}, status=503)
    return JsonResponse({"status": "ok"})


def mailbox_access(view):
    """Staff who may read sent email (the deliveries), and only while DEBUG is on (crm.urls routes it only then)."""

    @staff_member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.DEBUG:
            raise Http404
        if not request.user.has_perm("campaigns.view_delivery"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@mailbox_access
def mailbox(request):
    return render(request, "admin/mailbox.html", {"messages_list": mailbox_messages(), "title": _("Local mailbox")})


@mailbox_access
def mailbox_html(request, name: str):
    try:
        message = mailbox_message(name)
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(message.html or f"<pre>{escape(message.text)}</pre>")
    # The stored HTML is our own email layout; a sandboxing CSP keeps any script in it inert.
    response["Content-Security-Policy"] = "sandbox"
    return response
