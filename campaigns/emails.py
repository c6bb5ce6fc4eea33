"""The one email builder: a template triplet per email (templates/emails/<name>/), rendered in the
recipient's language, with a deterministic Message-ID and a real text/plain part."""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac

from crm.tokens import token_make
from network.normalize import clean_text, collapse_spaces

from .merge import markdown_html, merge, merge_values
from .models import Campaign, Delivery


def message_id(delivery_id: int) -> str:
    """The same for every attempt, so a resend after a crash is recognisable as the same message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    digest = salted_hmac("campaigns.message-id", str(delivery_id)).hexdigest()[:16]
    return f"<{delivery_id}.{digest}@{domain}>"


def mailbox(name: str, address: str) -> str:
    """`name <address>` for a From or To header.

    The name is made one line first (`clean_text`: no CR or LF in it can start a header of its own) and quoted
    where it has to be. Django then writes a name outside ASCII as short RFC 2047 encoded words (several for a long
    name) on lines of at most 78 characters, and a domain outside ASCII in its IDNA form.
    """
    return str(Address(display_name=clean_text(name), addr_spec=address))


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


def unsubscribe_url(ambassador_id: int, kind: str, campaign_id: int | None = None) -> str:
    token = token_make("unsubscribe", [ambassador_id, kind, campaign_id])
    return f"{settings.SITE_URL}{reverse('unsubscribe', args=[token])}"


UNSUBSCRIBE_PLACEHOLDER = "{{ unsubscribe_url }}"


def inert_unsubscribe_url() -> str:
    """Where a test copy's or a preview's unsubscribe link goes: the unsubscribe page's answer to an invalid
    link. No signed token, so nobody can be unsubscribed through it."""
    return f"{settings.SITE_URL}/avregistrera/test/"


@lru_cache(maxsize=32)
def campaign_templates(campaign_id: int, updated_at, language: str) -> tuple[str, str, str]:
    """The campaign rendered once (per process, language and edit) with merge fields left as placeholders:
    rendering the layout per recipient is the known bottleneck of bulk mail."""
    campaign = Campaign.objects.get(pk=campaign_id)
    return render_email(
        "campaign",
        {
            "subject": campaign.subject,
            "preheader": campaign.preheader,
            "body_text": campaign.body,
            "body_html": markdown_html(campaign.body),
            "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
        },
        language,
    )


def campaign_message(delivery: Delivery, connection=None, *, preview: bool = False) -> EmailMultiAlternatives:
    """The campaign as `delivery`'s recipient gets it. With `preview` (the admin's preview, never sent) the
    recipient's merge fields are filled in, but the unsubscribe link is the inert one of a test copy."""
    campaign = delivery.campaign
    subject, text, html = campaign_templates(campaign.pk, campaign.updated_at, delivery.language)
    if not delivery.is_test and delivery.ambassador_id:
        values = merge_values(delivery.ambassador)
    else:  # a copy to the coordinator (or their preview without a chosen recipient), filled with their own name
        first, _sep, last = delivery.to_name.partition(" ")
        values = {"first_name": first, "last_name": last, "full_name": delivery.to_name, "locality": ""}
    if delivery.is_test or preview:
        link = inert_unsubscribe_url()
    else:
        link = unsubscribe_url(delivery.ambassador_id, campaign.kind, campaign.pk)
    values["unsubscribe_url"] = link
    from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    message = EmailMultiAlternatives(
        subject=collapse_spaces(merge(subject, values)),
        body=merge(text, values),
        from_email=mailbox(campaign.sender_name, from_address),
        to=[mailbox(delivery.to_name, delivery.to_email)],
        headers={
            "Message-ID": message_id(delivery.pk),
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{campaign.get_kind_display()} <{campaign.kind}.{urlparse(settings.SITE_URL).hostname}>",
            "Precedence": "bulk",
        },
        connection=connection,
    )
    message.attach_alternative(merge(html, values, html=True), "text/html")
    return message


def build_message(delivery: Delivery, connection=None) -> EmailMultiAlternatives:
    if delivery.campaign_id:
        return campaign_message(delivery, connection)
    context = dict(delivery.context)
    if delivery.step_id:
        context.update(step_context(delivery))
    subject, text, html = render_email(delivery.template, context, delivery.language)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mailbox(delivery.to_name, delivery.to_email)],
        headers={"Message-ID": message_id(delivery.pk), "Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message
