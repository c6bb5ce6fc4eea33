"""Mina sidor: an ambassador's own page. Sign in with a link by email, then see and change their details and
what they receive, download their data, or leave the network. Thin: forms validate, services act."""

from __future__ import annotations

import functools
import json
import math
import time

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.selectors import invited_event_ids
from crm.audit import Action as AuditAction
from crm.audit import audit_record
from crm.privacy import person_data
from crm.privacy_notice import notice
from crm.tokens import TokenExpired, TokenInvalid, token_read
from network import abuse, events
from network.models import Ambassador, ConsentRecord, Registration
from network.normalize import display_phone
from network.selectors import person_events
from network.services import ambassador_details_update, ambassador_leave, ambassador_mailings_choose

from . import services
from .export import document, sections
from .forms import OTHER, DetailsForm, MailingsForm, SignInForm
from .services import LinkProblem

RATE_SCOPE = "mypages-link"


def signed_in(view):
    """The view gets the signed-in ambassador; without one, the sign-in page. Personal pages are never cached."""

    @functools.wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        ambassador = services.session_ambassador(request)
        if ambassador is None:
            return redirect("mypages")
        return view(request, ambassador, *args, **kwargs)

    return wrapper


# Signing in --------------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def home(request):
    """Signed in: the overview. Otherwise the form asking for a sign-in link; its POST answers the same page
    whether the address is known or not, and emails only a known one."""
    if request.method == "POST":
        return _link_request(request)
    ambassador = services.session_ambassador(request)
    if ambassador is None:
        return render(
            request, "mypages/sign_in.html", {"form": SignInForm(), "session_ended": services.session_ended(request)}
        )
    return render(
        request,
        "mypages/home.html",
        {
            "ambassador": ambassador,
            "interests": list(ambassador.interests.all()),
            "events": upcoming_events(ambassador),
            "coordinator_email": settings.COORDINATOR_EMAIL,
            "saved": request.GET.get("saved", ""),
        },
    )


def _link_request(request):
    form = SignInForm(request.POST)
    if not form.is_valid():
        return render(request, "mypages/sign_in.html", {"form": form}, status=400)
    address = form.cleaned_data["email"]
    retry_at = abuse.rate_limited_until(request, RATE_SCOPE, address)
    if retry_at is not None:
        form.add_error(
            None,
            _(
                "We have had many requests for a link from this network or for this address in a short time. No "
                "link has been sent: please try again after %(time)s."
            )
            % {"time": formats.time_format(timezone.localtime(retry_at))},
        )
        response = render(request, "mypages/sign_in.html", {"form": form}, status=429)
        response["Retry-After"] = str(max(1, math.ceil(retry_at.timestamp() - time.time())))
        return response
    services.sign_in_link_request(email_address=address)
    abuse.rate_count(request, RATE_SCOPE, address)
    return render(request, "mypages/link_sent.html", {"email": address})


LINK_STATUS = {LinkProblem.EXPIRED: 410, LinkProblem.USED: 410, LinkProblem.INVALID: 400}


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request, token: str):
    """GET shows a button (a link scanner signs nobody in); the POST uses the link and signs in."""
    if request.method == "POST":
        ambassador, problem = services.sign_in_link_use(token)
    else:
        ambassador, problem = None, services.sign_in_link_check(token)
        if problem is None:
            return render(request, "mypages/sign_in_confirm.html")
    if problem is not None:
        return render(
            request,
            "mypages/link_invalid.html",
            {"problem": problem.value, "form": SignInForm(), "minutes": services.LINK_MAX_AGE.seconds // 60},
            status=LINK_STATUS[problem],
        )
    services.session_start(request, ambassador)
    return redirect("mypages")


@require_POST
def sign_out(request):
    services.session_end(request)
    return render(request, "mypages/signed_out.html")


# Signed in ---------------------------------------------------------------------------------------------------


def _audit(action: str, ambassador: Ambassador) -> None:
    """The audit log (crm.audit) with no member of staff: the person themself."""
    audit_record(action=action, ambassador_ids=[ambassador.pk])


def upcoming_events(ambassador: Ambassador) -> dict:
    """The events the person answered or was invited to that have not ended, each with their answer and their own
    link to answer or change it (the RSVP page), and the trainings they have completed."""
    upcoming, completed = person_events(ambassador, invited=invited_event_ids(ambassador.pk), now=timezone.now())
    language = translation.get_language() or "sv"
    return {
        "upcoming": [
            {
                "event": event,
                "when": events.event_when(event),
                "where": events.event_where(event),
                "answer": Registration.Answer(answer).label if answer else None,
                "rsvp_url": events.rsvp_url(event.pk, ambassador.pk, language),
            }
            for event, answer in upcoming
        ],
        "completed": [{"event": event, "when": events.event_when(event)} for event in completed],
    }


@signed_in
@require_http_methods(["GET", "POST"])
def details(request, ambassador: Ambassador):
    if request.method == "POST":
        form = DetailsForm(request.POST)
        if form.is_valid():
            before = services.details_snapshot(ambassador)
            ambassador_details_update(ambassador=ambassador, **form.cleaned_data)
            services.details_change_record(ambassador=ambassador, before=before)
            _audit(AuditAction.CHANGE, ambassador)
            return redirect(f"{reverse('mypages')}?saved=details")
    else:
        form = DetailsForm(
            initial={
                "first_name": ambassador.first_name,
                "last_name": ambassador.last_name,
                "phone": display_phone(ambassador.phone),  # as the hint writes it; saved as E.164 again
                "locality": str(ambassador.locality_id) if ambassador.locality_id else OTHER,
                "interests": list(ambassador.interests.all()),
            }
        )
    return render(request, "mypages/details.html", {"form": form, "ambassador": ambassador})


@signed_in
@require_http_methods(["GET", "POST"])
def mailings(request, ambassador: Ambassador):
    if request.method == "POST":
        form = MailingsForm(request.POST)
        if form.is_valid():
            before = (ambassador.wants_newsletters, ambassador.wants_invitations)
            ambassador_mailings_choose(
                ambassador=ambassador,
                newsletters=form.cleaned_data["newsletters"],
                invitations=form.cleaned_data["invitations"],
                source=ConsentRecord.Source.MY_PAGES,
            )
            services.mailings_change_record(ambassador=ambassador, before=before)
            _audit(AuditAction.CHANGE, ambassador)
            return redirect(f"{reverse('mypages')}?saved=mailings")
    else:
        form = MailingsForm(
            initial={"newsletters": ambassador.wants_newsletters, "invitations": ambassador.wants_invitations}
        )
    return render(request, "mypages/mailings.html", {"form": form})


@signed_in
@require_http_methods(["GET"])
def data(request, ambassador: Ambassador):
    """Everything we hold about the person, as a page to read."""
    _audit(AuditAction.EXPORT, ambassador)
    return render(request, "mypages/data.html", {"sections": sections(person_data(ambassador))})


@signed_in
@require_http_methods(["GET"])
def data_json(request, ambassador: Ambassador):
    """Everything we hold about the person, as a file (GDPR art. 20: structured and machine-readable)."""
    _audit(AuditAction.EXPORT, ambassador)
    content = document(person_data(ambassador), timezone.localtime().isoformat(timespec="seconds"))
    response = HttpResponse(
        json.dumps(content, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="mina-uppgifter-{timezone.localdate():%Y-%m-%d}.json"'
    return response


@signed_in
@require_http_methods(["GET", "POST"])
def leave(request, ambassador: Ambassador):
    """GET asks; the POST makes the person alumni and stops their mail, then signs them out."""
    if request.method == "GET":
        terms = notice()  # what leaving means, as /integritet/ says it
        context = {
            "ambassador": ambassador,
            "alumni_days": terms["alumni_days"],
            "contact_email": terms["contact_email"],
        }
        return render(request, "mypages/leave.html", context)
    ambassador_leave(ambassador=ambassador)
    _audit(AuditAction.CHANGE, ambassador)
    services.session_end(request)
    return render(request, "mypages/left.html")


# The email preferences page of the unsubscribe links ---------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    """/avregistrera/<token>/installningar/, linked from the unsubscribe pages of emails already sent: the choice
    of mailings with the unsubscribe link's token as the credential (no sign-in), and a way into Mina sidor."""
    try:
        ambassador_id, _kind, _campaign_id = token_read("unsubscribe", token)
    except (TokenExpired, TokenInvalid, TypeError, ValueError):
        ambassador_id = None
    ambassador = Ambassador.objects.filter(pk=ambassador_id).first() if ambassador_id is not None else None
    if ambassador is None:
        return render(request, "campaigns/unsubscribe_invalid.html", status=400)
    saved = False
    if request.method == "POST":
        form = MailingsForm(request.POST)
        if form.is_valid():
            before = (ambassador.wants_newsletters, ambassador.wants_invitations)
            ambassador_mailings_choose(
                ambassador=ambassador,
                newsletters=form.cleaned_data["newsletters"],
                invitations=form.cleaned_data["invitations"],
                source=ConsentRecord.Source.PREFERENCES,
            )
            services.mailings_change_record(ambassador=ambassador, before=before, by_email_link=True)
            saved = True
    else:
        form = MailingsForm(
            initial={"newsletters": ambassador.wants_newsletters, "invitations": ambassador.wants_invitations}
        )
    return render(request, "mypages/preferences.html", {"form": form, "saved": saved})
