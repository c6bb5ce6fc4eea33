"""Unsubscribe, reached from links in our emails. The preferences page they link to is Mina sidor's (mypages)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from crm.tokens import TokenExpired, TokenInvalid, token_read
from network.consent import PURPOSE_OF_KIND, consent_withdraw
from network.models import Ambassador

from .models import Campaign, Unsubscribe
from .services.newsletters import ambassador_unsubscribe


def _reader(token: str) -> tuple[Ambassador, str, Campaign | None] | None:
    """Who, which kind of mail and (if any) which campaign an unsubscribe link is for. Unsubscribe links
    have no max age: a newsletter read a year later must still let its reader leave."""
    try:
        ambassador_id, kind, campaign_id = token_read("unsubscribe", token)
    except (TokenExpired, TokenInvalid, TypeError, ValueError):
        return None
    ambassador = Ambassador.objects.filter(pk=ambassador_id).first()
    if ambassador is None or kind not in Campaign.Kind.values:
        return None
    return ambassador, kind, Campaign.objects.filter(pk=campaign_id).first() if campaign_id else None


# The token is the credential (signed, per person and kind), so there is no CSRF to protect: the RFC 8058
# one-click POST from a mail program carries no cookies or CSRF token at all.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows one button (link scanners change nothing); POST unsubscribes; one-click answers 200."""
    found = _reader(token)
    if found is None:
        return render(request, "campaigns/unsubscribe_invalid.html", status=400)
    ambassador, kind, campaign = found
    if request.method == "GET":
        return render(request, "campaigns/unsubscribe.html", {"kind": kind, "token": token})
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    source = Unsubscribe.Source.ONE_CLICK if one_click else Unsubscribe.Source.LINK
    ambassador_unsubscribe(ambassador_id=ambassador.pk, kind=kind, source=source, campaign=campaign)
    # Withdrawing consent is as easy as giving it, and recorded as carefully (same source values).
    consent_withdraw(ambassador=ambassador, purpose=PURPOSE_OF_KIND[kind], source=source)
    if one_click:
        return HttpResponse("Unsubscribed.", content_type="text/plain; charset=utf-8")
    return render(request, "campaigns/unsubscribed.html", {"kind": kind, "token": token})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_test(request):
    """The unsubscribe link of a test copy or a preview: it says so, and unsubscribes nobody (one-click too)."""
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        return HttpResponse("Test copy: nobody was unsubscribed.", content_type="text/plain; charset=utf-8")
    return render(request, "campaigns/unsubscribe_test.html")
