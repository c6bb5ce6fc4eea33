"""The one email builder: a template triplet per email (templates/emails/<name>/), rendered in the
recipient's language, with a deterministic Message-ID and a real text/plain part."""

from __future__ import annotations

import re
from email import encoders
from email._header_value_parser import SPECIALS
from email.header import Header
from email.headerregistry import Address
from email.mime.base import MIMEBase
from email.utils import parseaddr
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from crm.languages import with_language
from crm.tokens import token_make
from network.normalize import clean_text, collapse_spaces, format_phone, normalize_phone

from .catalogue import READERS, STAFF, Kind, kind_of
from .merge import markdown_html, markdown_text, merge, merge_values
from .models import Campaign, Delivery

if TYPE_CHECKING:
    from network.models import Ambassador


@lru_cache(maxsize=8)
def _address(mailbox_text: str) -> str:
    return parseaddr(mailbox_text)[1]


def message_id(delivery_id: int) -> str:
    """The same for every attempt, so a resend after a crash is recognisable as the same message."""
    domain = _address(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2] or "localhost"
    digest = salted_hmac("campaigns.message-id", str(delivery_id)).hexdigest()[:16]
    return f"<{delivery_id}.{digest}@{domain}>"


@lru_cache(maxsize=256)  # a pure function; the sender and Reply-To repeat in every message
def mailbox(name: str, address: str) -> str:
    """`name <address>` for a From or To header.

    The name is made one line first (`clean_text`: no CR or LF in it can start a header of its own) and quoted
    where it has to be. Django then writes a name outside ASCII as short RFC 2047 encoded words (several for a long
    name) on lines of at most 78 characters, and a domain outside ASCII in its IDNA form.
    """
    display_name = clean_text(name)
    if PLAIN_ADDRESS.match(address) and SPECIALS.isdisjoint(display_name):  # what Address writes as it is
        return f"{display_name} <{address}>" if display_name else address
    return str(Address(display_name=display_name, addr_spec=address))


# An address that email.headerregistry.Address parses and writes back unchanged: a dot-atom local part and an ASCII
# domain. Most addresses are like this, and parsing one is most of what building a To header costs.
PLAIN_ADDRESS = re.compile(
    r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z", re.ASCII
)


@lru_cache(maxsize=8)
def _phone(number: str) -> str:
    """As Swedes write it: "0612-800 00", "070-190 64 48" (as given when it is no phone number)."""
    try:
        return format_phone(normalize_phone(number))
    except ValueError:
        return number


def coordinator_name() -> str:
    """COORDINATOR_NAME, or else "the ambassador coordinator" in the active language."""
    return settings.COORDINATOR_NAME.strip() or gettext("The ambassador coordinator")


def contact() -> dict[str, str]:
    """The person every email names, from the settings (COORDINATOR_NAME, COORDINATOR_PHONE, COORDINATOR_EMAIL),
    in the active language; replies go to them too (Reply-To)."""
    phone = _phone(settings.COORDINATOR_PHONE.strip())
    name, email = coordinator_name(), settings.COORDINATOR_EMAIL.strip()
    return {
        "name": name,
        "phone": phone,
        "email": email,
        "line": ", ".join(filter(None, [name, phone, email])),
    }


def reply_to(language: str) -> list[str]:
    return list(_reply_to(language, settings.COORDINATOR_NAME, settings.COORDINATOR_EMAIL))


@lru_cache(maxsize=8)  # the same in every message, and switching the language for it is costly; the name setting
def _reply_to(language: str, _name: str, email: str) -> tuple[str]:  # is in the key so that a change is seen
    with translation.override(language):
        return (mailbox(coordinator_name(), email),)


@lru_cache(maxsize=16)
def _list_id(kind: str, language: str, site_url: str) -> str:
    """The List-Id of a kind of campaign: its name in `language`, <kind.site's host name>."""
    with translation.override(language):
        return f"{Campaign.Kind(kind).label} <{kind}.{urlparse(site_url).hostname}>"


def sender() -> str:
    """The From of every email: the one sender name (EMAIL_SENDER_NAME) at the sending address."""
    return mailbox(settings.EMAIL_SENDER_NAME, _address(settings.DEFAULT_FROM_EMAIL))


def render_email(template: str, context: dict, language: str, link_language: str | None = None) -> tuple[str, str, str]:
    """The subject, text and HTML of an email in `language`, its links to the site opening in `link_language`
    (the reader's; by default the email's own)."""
    with translation.override(language):
        context = {
            "site_url": settings.SITE_URL,
            "privacy_url": with_language(f"{settings.SITE_URL}{reverse('privacy')}", link_language or language),
            "contact": contact(),
            "sender_name": settings.EMAIL_SENDER_NAME,
            **context,
        }
        subject = _subject(get_template(f"emails/{template}/subject.txt").template, context)
        text = render_to_string(f"emails/{template}/body.txt", context)
        html = render_to_string(f"emails/{template}/body.html", context)
    return subject, text, html


def _subject(template, context: dict) -> str:
    """A subject is text, not HTML: rendered without autoescaping ("Fika & prat", never "Fika &amp; prat"), and one
    line whatever the data holds (no header injection through a name)."""
    return collapse_spaces(template.render(Context(context, autoescape=False)))


LINK = re.compile(r"<a (?![^>]*\bstyle=)")


def brand_links(html: str) -> str:
    """Links in the coordinator's text in the network's colour, as the email's own links are (inline: many email
    programs ignore a style sheet)."""
    return LINK.sub(f'<a style="color:{BRAND};" ', html)


BRAND = "#00457c"


def step_context(delivery: Delivery) -> tuple[dict, str]:
    """A sequence step is rendered when it is sent, so an edited step reaches everyone who has not had it.
    Returns the context and the language of the whole email: the recipient's where the step has text in it,
    otherwise Swedish (subject, body and layout alike, so nothing is half translated)."""
    language, subject, body = delivery.step.content(delivery.language)
    values = merge_values(delivery.ambassador)
    context = {
        "subject": merge(subject, values),
        "body_text": merge(markdown_text(body), values),
        "body_html": merge(brand_links(markdown_html(body)), values, html=True),
    }
    return context, language


def token_url(name: str, token: str) -> str:
    """`SITE_URL + reverse(name, args=[token])` for a signed token (crm.tokens: characters a URL keeps as they are),
    with the path around the token reversed once, not for every message of a newsletter."""
    before, after = _around_token(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return f"{settings.SITE_URL}{before}{token}{after}"


@lru_cache(maxsize=16)
def _around_token(name: str, _script_prefix: str, urlconf: str) -> tuple[str, str]:
    before, _token, after = reverse(name, urlconf=urlconf, args=["TOKEN"]).partition("TOKEN")
    return before, after


def unsubscribe_url(ambassador_id: int, kind: str, campaign_id: int | None = None) -> str:
    return token_url("unsubscribe", token_make("unsubscribe", [ambassador_id, kind, campaign_id]))


UNSUBSCRIBE_PLACEHOLDER = "{{ unsubscribe_url }}"


def rsvp_url(event_id: int, ambassador_id: int, language: str) -> str:
    """An invitation's personal answer link, /svar/<token>/: the token is signed for the purpose "rsvp" and holds
    [event id, ambassador id] (read by network.events.rsvp_read)."""
    token = token_make("rsvp", [event_id, ambassador_id])
    return with_language(token_url("rsvp", token), language)


def inert_rsvp_url() -> str:
    """Where a test copy's or a preview's RSVP link goes: a page that says so; it answers for nobody."""
    return f"{settings.SITE_URL}{reverse('rsvp-test')}"


def inert_unsubscribe_url() -> str:
    """Where a test copy's or a preview's unsubscribe link goes: a page that says so. No signed token, so nobody
    can be unsubscribed through it."""
    return f"{settings.SITE_URL}{reverse('unsubscribe-test')}"


# A campaign is written in Swedish only, so it is sent wholly in Swedish, layout included, to every reader (its links
# open in the reader's language).
CAMPAIGN_LANGUAGE = "sv"


@lru_cache(maxsize=32)
def campaign_templates(campaign_id: int, updated_at, language: str) -> tuple[str, str, str]:
    """The campaign rendered once (per process, reader's language and edit) with merge fields left as placeholders:
    rendering the layout per recipient is the known bottleneck of bulk mail."""
    campaign = Campaign.objects.select_related("event").get(pk=campaign_id)
    return render_email(
        "campaign",
        {
            "subject": campaign.subject,
            "preheader": campaign.preheader,
            "body_text": markdown_text(campaign.body),
            "body_html": brand_links(markdown_html(campaign.body)),
            "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
            "event": event_block(campaign, CAMPAIGN_LANGUAGE),
        },
        CAMPAIGN_LANGUAGE,
        link_language=language,
    )


RSVP_PLACEHOLDER = "{{ rsvp_url }}"


def event_block(campaign: Campaign, language: str) -> dict | None:
    """What an invitation shows of its event by itself, under the body: the title, when (in words, in the
    recipient's language), where, the answer deadline, and the answer button (its link the merge field
    {{ rsvp_url }}, filled in per recipient). No button when the body already has the link (older invitations
    were written with it)."""
    event = campaign.event
    if event is None:
        return None
    from network.events import event_when, event_where  # here: network.events imports campaigns.services

    with translation.override(language):
        deadline = event.rsvp_deadline and formats.date_format(timezone.localtime(event.rsvp_deadline), "j F")
    return {
        "title": event.title,
        "when": event_when(event, language),
        "where": event_where(event),
        "deadline": deadline or "",
        "rsvp_url": RSVP_PLACEHOLDER,
        "button": not RSVP_FIELD.search(campaign.body),
    }


RSVP_FIELD = re.compile(r"\{\{\s*(?:rsvp_url|svarslänk)\b", re.IGNORECASE)  # the merge field, either name


class CampaignContent(NamedTuple):
    """What a campaign message is made of for one recipient, before it becomes MIME (see campaign_message)."""

    subject: str
    text: str
    html: str
    from_email: str
    to: str
    reply_to: list[str]
    headers: dict[str, str]


def campaign_content(delivery: Delivery, *, preview: bool = False) -> CampaignContent:
    """The campaign as `delivery`'s recipient gets it. With `preview` (the admin's preview, never sent) the
    recipient's merge fields are filled in, but the unsubscribe link is the inert one of a test copy.
    campaign_message makes it an EmailMessage; campaigns.wire writes the same bytes without one (SMTP)."""
    campaign = delivery.campaign
    subject, text, html = campaign_templates(campaign.pk, campaign.updated_at, delivery.language)
    if not delivery.is_test and delivery.ambassador_id:
        values = merge_values(delivery.ambassador)
    else:  # a copy to the coordinator (or their preview without a chosen recipient), filled with their own name
        first, _sep, last = delivery.to_name.partition(" ")
        values = {"first_name": first, "last_name": last, "full_name": delivery.to_name, "locality": ""}
    if delivery.is_test or preview:
        link = inert_unsubscribe_url()
    else:  # opens in the reader's language, as every link we email
        link = with_language(unsubscribe_url(delivery.ambassador_id, campaign.kind, campaign.pk), delivery.language)
    values["unsubscribe_url"] = link
    if campaign.event_id:
        if delivery.is_test or preview or not delivery.ambassador_id:
            values["rsvp_url"] = inert_rsvp_url()
        else:
            values["rsvp_url"] = rsvp_url(campaign.event_id, delivery.ambassador_id, delivery.language)
    subject = collapse_spaces(merge(subject, values))
    if delivery.is_test and not preview:
        subject = f"[TEST] {subject}"
    return CampaignContent(
        subject=subject,
        text=merge(text, values),
        html=merge(html, values, html=True),
        from_email=sender(),
        to=mailbox(delivery.to_name, delivery.to_email),
        reply_to=reply_to(CAMPAIGN_LANGUAGE),
        headers={
            "Message-ID": message_id(delivery.pk),
            **bulk_headers(link),
            "List-Id": _list_id(campaign.kind, CAMPAIGN_LANGUAGE, settings.SITE_URL),
        },
    )


def bulk_headers(unsubscribe_link: str) -> dict[str, str]:
    """What marks bulk mail (RFC 2369, RFC 8058): one click on the link stops it."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Precedence": "bulk",
    }


def campaign_message(delivery: Delivery, connection=None, *, preview: bool = False) -> EmailMultiAlternatives:
    """The campaign as `delivery`'s recipient gets it, as an EmailMessage (see campaign_content)."""
    content = campaign_content(delivery, preview=preview)
    message = Message(
        subject=content.subject,
        body=content.text,
        from_email=content.from_email,
        to=[content.to],
        reply_to=content.reply_to,
        headers=content.headers,
        connection=connection,
    )
    message.attach_alternative(content.html, "text/html")
    return message


def campaign_preview(*, campaign: Campaign, ambassador: Ambassador | None = None, viewer_name: str = "") -> str:
    """The campaign's HTML part as `ambassador` would get it (their merge fields, their language), or, without one,
    as the coordinator's copy (`viewer_name` in the merge fields, in Swedish). Its unsubscribe and RSVP links are
    the inert ones of a test copy; nothing is saved or sent."""
    return campaign_preview_content(campaign=campaign, ambassador=ambassador, viewer_name=viewer_name).html


def campaign_preview_content(
    *, campaign: Campaign, ambassador: Ambassador | None = None, viewer_name: str = ""
) -> CampaignContent:
    """The whole message of campaign_preview (subject, sender, recipient, text and HTML), for the preview page."""
    delivery = Delivery(
        pk=0,
        template="campaign",
        campaign=campaign,
        ambassador=ambassador,
        to_email=ambassador.email if ambassador and ambassador.email else "preview@example.invalid",
        to_name=ambassador.full_name if ambassador else viewer_name,
        language=ambassador.language if ambassador else "sv",
    )
    return campaign_content(delivery, preview=True)


class Message(EmailMultiAlternatives):
    """An EmailMessage whose subject outside ASCII starts on the Subject line itself.

    Django encodes such a subject as RFC 2047 words measured without the header's name, and the generator then
    moves the first word to a line of its own: readers that unfold it show the subject with a leading space. Encoded
    knowing its name, the first line is "Subject: =?utf-8?q?…". campaigns.wire writes the same bytes."""

    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        if not self.subject.isascii():
            message.replace_header(
                "Subject", subject_header(self.subject, message.encoding or settings.DEFAULT_CHARSET)
            )
        return message


def subject_header(subject: str, charset) -> Header:
    return Header(str(subject), charset, header_name="Subject")


def build_message(delivery: Delivery, connection=None) -> EmailMultiAlternatives:
    if delivery.campaign_id:
        return campaign_message(delivery, connection)
    kind = kind_of(delivery.template)
    context, language = dict(delivery.context), delivery.language
    if delivery.step_id:
        step, language = step_context(delivery)
        context.update(step)
    elif kind.language != READERS:  # to staff, or text written in Swedish only (an event's follow-up): all Swedish
        language = "sv"
    subject, text, html = render_email(delivery.template, context, language, link_language=delivery.language)
    headers = {"Message-ID": message_id(delivery.pk)}
    if kind.bulk:
        headers.update(bulk_headers(context["unsubscribe_url"]))
    else:
        headers["Auto-Submitted"] = "auto-generated"
    message = Message(
        subject=subject,
        body=text,
        from_email=sender(),
        to=[mailbox(delivery.to_name or _staff_name(kind, delivery.to_email), delivery.to_email)],
        reply_to=reply_to(language) if kind.names_the_coordinator else _reply_to_staff(context),
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    # Files that belong to the email, e.g. an event's .ics (RFC 5545) or the monthly report's figures (CSV):
    # [filename, content, MIME type] each, written with the row like the rest of its context. The type may carry
    # parameters ("text/calendar; method=REQUEST", RFC 6047), written onto the part's Content-Type.
    for filename, content, mimetype in delivery.context.get("attachments", []):
        message.attach(_attachment(filename, content, mimetype))
    return message


def _attachment(filename: str, content: str, mimetype: str) -> MIMEBase:
    main, _slash, rest = mimetype.partition("/")
    subtype, *parameters = (part.strip() for part in rest.split(";"))
    if main == "text":
        part = SafeMIMEText(content, subtype, settings.DEFAULT_CHARSET)
    else:  # as UTF-8 bytes, or Python's email package would write an SVG's "Å" and "–" as Latin-1 with escapes
        part = MIMEBase(main, subtype)
        part.set_payload(content.encode())
        encoders.encode_base64(part)
    for parameter in parameters:
        name, _equals, value = parameter.partition("=")
        part.set_param(name.strip(), value.strip().strip('"'))
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def _staff_name(kind: Kind, address: str) -> str:
    """Mail to the coordinator has her name in To, as mail to anyone does."""
    if kind.reader == STAFF and address.lower() == settings.COORDINATOR_EMAIL.strip().lower():
        return settings.COORDINATOR_NAME.strip()
    return ""


def _reply_to_staff(context: dict) -> list[str]:
    """Staff reply to the person the email is about (who recommended someone), never to themselves."""
    if context.get("recommender_email"):
        return [mailbox(context.get("recommender_name", ""), context["recommender_email"])]
    return []
