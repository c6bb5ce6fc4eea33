"""Recruitment: referrals from /tipsa/ (a RecruitmentContact with source REFERRAL), the notice a referred person
gets (GDPR art. 14) and their objection.

Emails are queued through `campaigns.services` in the same transaction as the change that causes them.
"""

from __future__ import annotations

import enum

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from campaigns import services as email
from crm.tokens import TokenExpired, TokenInvalid, token_make, token_read

from . import selectors
from .applications import _absolute
from .models import RecruitmentContact


@transaction.atomic
def referral_submit(
    *, referrer_name: str, referrer_email: str, name: str, contact: str, note: str = ""
) -> RecruitmentContact | None:
    """Record the referral for the coordinator's follow-up list, email the coordinator about it at once (unless
    NOTIFY_COORDINATOR_OF_TIPS is off; queued in the same transaction: both or neither), and tell the referred
    person (GDPR art. 14)."""
    if referral_unwanted(contact):  # they objected, or were erased: not stored again, nobody told
        return None
    from .privacy import contact_addresses, contact_phones

    referral = RecruitmentContact.objects.create(
        name=name,
        contact=contact,
        email=min(contact_addresses(contact), default=""),
        phone=min(contact_phones(contact), default=""),
        note=note,
        source=RecruitmentContact.Source.REFERRAL,
        referrer_name=referrer_name,
        referrer_email=referrer_email.strip().lower(),
        referred_by=selectors.ambassador_by_email(referrer_email),
    )
    if settings.NOTIFY_COORDINATOR_OF_TIPS and settings.COORDINATOR_EMAIL:
        email.email_queue(
            template="tip_received",
            to_email=settings.COORDINATOR_EMAIL,
            key=f"tip:{referral.pk}",
            context={
                "name": referral.name,
                "contact": referral.contact,
                "note": referral.note,
                "referrer_name": referral.referrer_name,
                "referrer_email": referral.referrer_email,
                "referred_by": referral.referred_by_id is not None,
                "admin_url": _absolute(reverse("admin:network_recruitmentcontact_change", args=[referral.pk])),
            },
        )
    referral_notice_queue(referral, language=translation.get_language() or "sv")
    return referral


# Recommended people: told at once (GDPR art. 14), and may object ----------------------------------------------

CONTACT_OBJECTION = "contact-objection"


def contact_objection_url(contact: RecruitmentContact) -> str:
    # No max age: a recommended person may object whenever they like (art. 21), as long as we have their details.
    return _absolute(reverse("recommendation-objection", args=[token_make(CONTACT_OBJECTION, contact.pk)]))


def referral_notice_queue(contact: RecruitmentContact, *, language: str = "sv") -> int:
    """Tell a recommended person with an email address who we are, why we have their details and how to have
    them deleted (GDPR art. 14), at once. Not someone who is an ambassador already. The email quotes nothing from
    the form (neither their name nor the recommender's), so the form cannot be used to send anybody a message.
    Returns how many were queued."""
    from .privacy import contact_addresses

    queued = 0
    for number, address in enumerate(sorted(contact_addresses(contact.contact))):
        if selectors.ambassador_by_email(address) is not None:
            continue
        queued += bool(
            email.email_queue(
                template="recommendation_notice",
                to_email=address,
                language=language,
                context={
                    "objection_url": contact_objection_url(contact),
                    "coordinator_name": getattr(settings, "COORDINATOR_NAME", ""),
                    "coordinator_email": settings.COORDINATOR_EMAIL,
                    "basis": getattr(settings, "PRIVACY", {}).get("purposes", {}).get("recruitment", {}).get("basis"),
                    "retention_days": getattr(settings, "RETENTION_RECRUITMENT_DAYS", 365),
                },
                key=f"recommended:{contact.pk}:{number}",
            )
        )
    return queued


def referral_unwanted(contact: str) -> bool:
    """Whether this "how to reach them" is the address of someone who objected or was erased: not stored again."""
    from .privacy import contact_addresses

    return any(email.address_erased(address) for address in contact_addresses(contact))


class ObjectionResult(enum.Enum):
    ASK = "ask"
    DONE = "done"
    INVALID = "invalid"


def contact_objection(*, token: str, act: bool) -> ObjectionResult:
    """An objection link: INVALID for a forged one; ASK (GET) or, when acting (POST), erase the contact (DONE).
    A contact already gone (erased, or removed by retention) is DONE: what they asked for holds."""
    try:
        pk = int(token_read(CONTACT_OBJECTION, token))
    except (TokenExpired, TokenInvalid, TypeError, ValueError):
        return ObjectionResult.INVALID
    contact = RecruitmentContact.objects.filter(pk=pk).first()
    if contact is None:
        return ObjectionResult.DONE
    if not act:
        return ObjectionResult.ASK
    from crm.privacy import contact_erase

    contact_erase(contact)
    return ObjectionResult.DONE
