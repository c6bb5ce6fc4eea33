"""Public pages: signup, confirmation, recommendations. Thin: forms validate, services act."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from . import abuse, services
from .forms import NewLinkForm, RecommendForm, SignupForm
from .services import ConfirmResult


def _public_form(request, form_class, *, scope: str, template: str, thanks: str, submit):
    """A public form: a GET shows it with a signed start time; a valid POST calls `submit(cleaned_data)`.
    A bot (honeypot, too fast, over the rate limit) gets the same thank-you page, and nothing is stored or sent."""
    if request.method != "POST":
        form = form_class(initial={"started": abuse.form_started_token()})
        return render(request, template, {"form": form})
    if abuse.rate_limited(request, scope) or abuse.looks_like_bot(request):
        return redirect(thanks)
    form = form_class(request.POST)
    if not form.is_valid():
        return render(request, template, {"form": form})
    submit(form.cleaned_data)
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
        )

    return _public_form(
        request, SignupForm, scope="signup", template="network/signup.html", thanks="signup-thanks", submit=submit
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
    if form.is_valid() and not abuse.rate_limited(request, "new-link"):
        services.application_resend_confirmation(email_address=form.cleaned_data["email"])
    elif not form.is_valid():
        return render(request, "network/confirm_result.html", {"result": "invalid", "form": form}, status=400)
    return render(request, "network/new_link_sent.html")


@require_http_methods(["GET", "POST"])
def recommend(request):
    def submit(data):
        services.recommendation_submit(
            tipper_name=data["tipper_name"],
            tipper_email=data["tipper_email"],
            name=data["name"],
            contact=data["contact"],
            note=data["note"],
        )

    return _public_form(
        request,
        RecommendForm,
        scope="recommend",
        template="network/recommend.html",
        thanks="recommend-thanks",
        submit=submit,
    )


def recommend_thanks(request):
    return render(request, "network/recommend_thanks.html")


def privacy(request):
    return render(request, "network/privacy.html", {"consent_version": services.CONSENT_VERSION})


def accessibility(request):
    return render(request, "network/accessibility.html")
