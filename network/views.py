"""Public pages: signup, confirmation, recommendations (/tipsa/). Thin: forms validate, services act."""

from __future__ import annotations

import math
import time
from datetime import date, datetime

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from crm.privacy_notice import notice

from . import abuse, services
from .forms import NewLinkForm, RecommendationForm, SignupForm
from .normalize import display_phone
from .services import ConfirmResult


def _too_many(request, template: str, context: dict, retry_at: datetime):
    """429 with the form as it was sent, saying when to try again: nothing was stored, and the person knows it."""
    context["form"].add_error(
        None,
        _(
            "We have received many forms from this network or with this email address in a short time. Nothing "
            "has been sent: please try again after %(time)s."
        )
        % {"time": formats.time_format(timezone.localtime(retry_at))},
    )
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(max(1, math.ceil(retry_at.timestamp() - time.time())))
    return response


def _public_form(
    request, form_class, *, scope: str, template: str, thanks: str, email_field: str, submit, initial=None
):
    """A public form: a GET shows it with a signed start time; a valid POST calls `submit(cleaned_data)`.

    Only a filled honeypot (a field people never see) gets the thank-you page with nothing stored or sent. A person
    is never told "thank you" for something dropped: a form sent too soon or from a page open for more than a day
    is shown again with what they typed, and over the rate limit they get a 429 page saying when to try again.
    """
    if request.method != "POST":
        form = form_class(initial={**(initial or {}), "started": abuse.form_started_token()})
        return render(request, template, {"form": form})
    if abuse.honeypot_filled(request):
        return redirect(thanks)
    data = request.POST.copy()
    in_time = abuse.started_in_time(data.get("started", ""))
    if not in_time:
        data["started"] = abuse.form_started_token()  # the next try is timed from this page
    form = form_class(data)
    if not form.is_valid():
        return render(request, template, {"form": form})
    if not in_time:  # sent within seconds (browser autofill) or from a day-old page: likely a person, ask again
        form.add_error(None, _("Check your details and send again."))
        return render(request, template, {"form": form})
    email_address = form.cleaned_data[email_field]
    retry_at = abuse.rate_limited_until(request, scope, email_address)
    if retry_at is not None:
        return _too_many(request, template, {"form": form}, retry_at)
    submit(form.cleaned_data)
    abuse.rate_count(request, scope, email_address)
    return redirect(thanks)


@require_http_methods(["GET", "POST"])
def signup(request):
    def submit(data):
        services.application_submit(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email_address=data["email"],
            phone=data["phone"],
            locality=data["locality"],
            interests=list(data["interests"]),
            motivation=data["motivation"],
            heard_about=data["heard_about"],
            language=translation.get_language() or "sv",
            invitation=data.get("invitation", ""),
        )

    return _public_form(
        request,
        SignupForm,
        scope="signup",
        template="network/signup.html",
        thanks="signup-thanks",
        email_field="email",
        submit=submit,
        # An invitation to apply (network.recruitment) opens the form filled in with what we know of them.
        initial=services.invitation_initial(request.GET.get("inbjudan", "")) if request.method == "GET" else None,
    )


def signup_thanks(request):
    return render(request, "network/signup_thanks.html")


@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows a button (link scanners must not confirm); the POST confirms."""
    if request.method == "POST":
        result = services.application_confirm(token=token)
    else:
        application, result = services.application_from_token(token)
        if result is None:
            return render(request, "network/confirm.html", {"application": application})
    status = {ConfirmResult.INVALID: 400, ConfirmResult.EXPIRED: 410}.get(result, 200)
    return render(
        request, "network/confirm_result.html", {"result": result.value, "form": NewLinkForm()}, status=status
    )


@require_http_methods(["POST"])
def new_link(request):
    form = NewLinkForm(request.POST)
    if not form.is_valid():
        return render(request, "network/confirm_result.html", {"result": "invalid", "form": form}, status=400)
    email_address = form.cleaned_data["email"]
    retry_at = abuse.rate_limited_until(request, "new-link", email_address)
    if retry_at is not None:
        return _too_many(request, "network/confirm_result.html", {"result": "limited", "form": form}, retry_at)
    services.application_resend_confirmation(email_address=email_address)
    abuse.rate_count(request, "new-link", email_address)
    return render(request, "network/new_link_sent.html")


@require_http_methods(["GET", "POST"])
def recommend(request):
    def submit(data):
        services.recommendation_submit(
            recommender_name=data["recommender_name"],
            recommender_email=data["recommender_email"],
            name=data["name"],
            contact_details=data["contact_details"],
            note=data["note"],
            recommender_may_be_named=data["recommender_may_be_named"],
        )

    return _public_form(
        request,
        RecommendationForm,
        scope="recommend",
        template="network/recommend.html",
        thanks="recommend-thanks",
        email_field="recommender_email",
        submit=submit,
    )


def recommend_thanks(request):
    return render(request, "network/recommend_thanks.html")


def privacy(request):
    """The privacy notice, generated from the settings (crm.privacy_notice)."""
    return render(request, "network/privacy.html", notice())


# When the accessibility statement's assessment was last made (/tillganglighet/): change it with each new one.
ACCESSIBILITY_ASSESSED = date(2026, 12, 8)


def accessibility(request):
    """The accessibility statement the Swedish law (DOS-lagen) asks for: how accessible the pages are, the known
    shortcomings, when they were assessed, how to report a problem, and the supervisory authority (Digg)."""
    return render(
        request,
        "network/accessibility.html",
        {
            "assessed": ACCESSIBILITY_ASSESSED,
            "contact_email": settings.COORDINATOR_EMAIL,
            "contact_phone": display_phone(settings.COORDINATOR_PHONE),
        },
    )


def _objection(request, token: str):
    result = services.contact_objection(token=token, act=request.method == "POST")
    status = 400 if result == services.ObjectionResult.INVALID else 200
    return render(request, "network/recommendation_objection.html", {"result": result.value}, status=status)


_objection_by_button = csrf_protect(_objection)


# The link is also the invitation's List-Unsubscribe: the mail provider's RFC 8058 one-click POST (the body
# "List-Unsubscribe=One-Click") carries no cookie or CSRF token, and the signed token in the URL is the credential.
# Only that POST is exempt; the page's own button keeps its CSRF check.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def recommendation_objection(request, token: str):
    """The link in the emails to a recommended or invited person: GET shows a button, the POST deletes the
    details (GDPR art. 21) and the address is never mailed or stored again."""
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        return _objection(request, token)
    return _objection_by_button(request, token)
