"""The pages that inform: about the network (/), contact, and the Lättläst (easy-to-read Swedish) version of each
page that informs. Lättläst is Swedish by nature, so those pages are always in Swedish."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.safestring import mark_safe

from campaigns.merge import markdown_html
from crm.privacy_notice import notice
from network.normalize import display_phone
from network.selectors import public_locality_names

from . import content


def _coordinator() -> dict:
    return {
        "coordinator_name": settings.COORDINATOR_NAME,
        "coordinator_email": settings.COORDINATOR_EMAIL,
        "coordinator_phone": display_phone(settings.COORDINATOR_PHONE),
    }


def _html(markdown: str):
    return mark_safe(markdown_html(markdown))  # noqa: S308 - sanitised by markdown_html, as newsletters are


def about(request):
    text = content.text("about", translation.get_language())
    return render(
        request,
        "pages/about.html",
        {
            "title": text.title,
            "body": _html(text.body),
            "body_language": text.language,
            "localities": public_locality_names(),
            **_coordinator(),
        },
    )


def contact(request):
    return render(request, "pages/contact.html", _coordinator())


def _easy(request, template: str, context: dict):
    """A Lättläst page: in Swedish whatever language the visitor chose."""
    with translation.override("sv"):
        response = render(request, f"pages/easy/{template}", context)
    response["Content-Language"] = "sv"
    return response


def easy_about(request):
    text = content.easy_text("about")
    return _easy(request, "about.html", {"title": text.title, "body": _html(text.body), **_coordinator()})


def easy_signup(request):
    return _easy(request, "signup.html", _coordinator())


def easy_privacy(request):
    return _easy(request, "privacy.html", {**notice(), **_coordinator()})


def easy_accessibility(request):
    return _easy(request, "accessibility.html", _coordinator())


def easy_contact(request):
    return _easy(request, "contact.html", _coordinator())
