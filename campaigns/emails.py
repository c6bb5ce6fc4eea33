"""The one email builder: a template triplet per email (templates/emails/<name>/), rendered in the
recipient's language, with a deterministic Message-ID and a real text/plain part."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.crypto import salted_hmac

from network.normalize import collapse_spaces

from .merge import markdown_html, merge, merge_values
from .models import Delivery


def message_id(delivery_id: int) -> str:
    """The same for every attempt, so a resend after a crash is recognisable as the same message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    digest = salted_hmac("campaigns.message-id", str(delivery_id)).hexdigest()[:16]
    return f"<{delivery_id}.{digest}@{domain}>"


def render_email(template: str, context: dict, language: str) -> tuple[str, str, str]:
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        # Subjects are one line whatever the data holds: no header injection through a name.
        subject = collapse_spaces(render_to_string(f"emails/{template}/subject.txt", context))
        text = render_to_string(f"emails/{template}/body.txt", context)
        html = render_to_string(f"emails/{template}/body.html", context)
    return subject, text, html


def step_context(delivery: Delivery) -> dict:
    """A sequence step is rendered when it is sent, so an edited step reaches everyone who has not had it."""
    step = delivery.step
    values = merge_values(delivery.ambassador)
    return {
        "subject": merge(step.subject, values),
        "body_text": merge(step.body, values),
        "body_html": merge(markdown_html(step.body), values, html=True),
    }


def build_message(delivery: Delivery, connection=None) -> EmailMultiAlternatives:
    context = dict(delivery.context)
    if delivery.step_id:
        context.update(step_context(delivery))
    subject, text, html = render_email(delivery.template, context, delivery.language)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((collapse_spaces(delivery.to_name), delivery.to_email))],
        headers={"Message-ID": message_id(delivery.pk), "Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message
