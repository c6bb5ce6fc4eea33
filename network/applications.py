"""Applications: signup on /bli-ambassador/, confirmation by email (double opt-in), the coordinator's review.

Emails are queued through `campaigns.services` in the same transaction as the change that causes them.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from campaigns.services import ambassador_welcome, email_queue
from crm.languages import with_language
from crm.tokens import TokenExpired, TokenInvalid, token_make, token_read

from . import selectors
from .consent import purpose_version
from .models import Ambassador, Application, ConsentRecord, Interest, Locality
from .recruitment import contacts_applied, contacts_joined

# The version of the text the signup consent is given to (settings.PRIVACY, read again at each signup).
CONSENT_VERSION = settings.PRIVACY["purposes"]["registry"]["version"]
CONFIRM_MAX_AGE = timedelta(days=7)
RESEND_INTERVAL = timedelta(minutes=10)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def confirm_url(application: Application) -> str:
    """The confirmation link, opening in the language the applicant used (?lang=en for English)."""
    token = token_make("confirm", application.pk)
    return with_language(_absolute(reverse("application-confirm", args=[token])), application.language)


def _queue_confirmation(application: Application) -> None:
    email_queue(
        template="application_confirm",
        to_email=application.email,
        to_name=f"{application.first_name} {application.last_name}",
        language=application.language,
        application=application,
        context={"first_name": application.first_name, "confirm_url": confirm_url(application)},
    )


@transaction.atomic
def application_submit(
    *,
    first_name: str,
    last_name: str,
    email_address: str,
    phone: str = "",
    locality: Locality | None = None,
    interests: list[Interest] | tuple = (),
    motivation: str = "",
    heard_about: str = "",
    language: str = "sv",
    invitation: str = "",
    now: datetime | None = None,
) -> Application | None:
    """Record a signup and send what fits the address: a confirmation link, or "you are already an ambassador".

    The caller shows the same page whatever happens here, so nobody can learn who is registered.

    Anyone can type any address, so a pending application never changes here: the same details again are the same
    application (its link resent at most every ten minutes); other details are a new application with a link of
    its own, and the link the address's owner uses decides which one is confirmed (see `application_confirm`).

    A recruitment contact with the address, or the one an invitation link (`invitation`) was made for, moves to
    "applied" (network.recruitment).
    """
    now = now or timezone.now()
    email_address = email_address.strip().lower()
    ambassador = selectors.ambassador_by_email(email_address)
    if ambassador is not None and ambassador.status != Ambassador.Status.ALUMNI:
        _queue_already_ambassador(ambassador, email_address, language, now)
        return None
    pending = list(
        Application.objects.select_for_update()
        .filter(email=email_address, status__in=[Application.Status.UNCONFIRMED, Application.Status.CONFIRMED])
        .order_by("-created_at", "-pk")
        .prefetch_related("interests")
    )
    for application in pending:
        if application.status == Application.Status.CONFIRMED:
            return application  # already waiting for the coordinator
    fields = {
        "first_name": first_name,
        "last_name": last_name,
        "phone": phone,
        "locality": locality,
        "motivation": motivation,
        "heard_about": heard_about,
        "language": language,
    }
    application, resend = _pending_or_new(pending, email_address, fields, interests, now)
    ConsentRecord.objects.create(
        email=email_address,
        purpose=ConsentRecord.Purpose.AMBASSADOR_REGISTRY,
        text_version=purpose_version(ConsentRecord.Purpose.AMBASSADOR_REGISTRY),
        source=ConsentRecord.Source.SIGNUP,
        application=application,
    )
    if resend:
        _queue_confirmation(application)
    contacts_applied(application=application, invitation=invitation, now=now)
    return application


def _queue_already_ambassador(ambassador: Ambassador, email_address: str, language: str, now: datetime) -> None:
    email_queue(
        template="already_ambassador",
        to_email=email_address,
        to_name=ambassador.full_name,
        language=language,
        ambassador=ambassador,
        context={"first_name": ambassador.first_name},
        # At most one such email per address per ten minutes.
        key=f"already:{email_address}:{int(now.timestamp()) // int(RESEND_INTERVAL.total_seconds())}",
    )


def _pending_or_new(
    pending: list[Application], email_address: str, fields: dict, interests, now: datetime
) -> tuple[Application, bool]:
    """The pending application with the same details, or a new one; and whether its link is to be sent (again)."""
    application = next((a for a in pending if _same_details(a, fields, interests)), None)
    if application is None:
        # A new signup: as few statements as it takes (the request does nothing slow, and no more than needed).
        application = Application.objects.create(email=email_address, confirmation_sent_at=now, **fields)
        Application.interests.through.objects.bulk_create(
            [Application.interests.through(application=application, interest=interest) for interest in interests]
        )
        return application, True
    resend = not application.confirmation_sent_at or now - application.confirmation_sent_at >= RESEND_INTERVAL
    if resend:
        application.confirmation_sent_at = now
        application.save(update_fields=["confirmation_sent_at"])
    return application, resend


def _same_details(application: Application, fields: dict, interests) -> bool:
    """The same form sent again (a double click, the back button): nothing new to confirm."""
    locality = fields["locality"]
    return (
        application.locality_id == (locality.pk if locality else None)
        and all(getattr(application, name) == value for name, value in fields.items() if name != "locality")
        and {interest.pk for interest in application.interests.all()} == {interest.pk for interest in interests}
    )


def application_resend_confirmation(*, email_address: str, now: datetime | None = None) -> None:
    """A new link for whoever asks with an unconfirmed address; silence otherwise (no enumeration)."""
    now = now or timezone.now()
    with transaction.atomic():
        application = (
            Application.objects.select_for_update()
            .filter(email=email_address.strip().lower(), status=Application.Status.UNCONFIRMED)
            .order_by("-created_at", "-pk")
            .first()
        )
        if application is None:
            return
        if application.confirmation_sent_at and now - application.confirmation_sent_at < RESEND_INTERVAL:
            return
        application.confirmation_sent_at = now
        application.save(update_fields=["confirmation_sent_at"])
        _queue_confirmation(application)


class ConfirmResult(enum.Enum):
    CONFIRMED = "confirmed"
    ALREADY = "already"
    EXPIRED = "expired"
    INVALID = "invalid"


def application_from_token(token: str) -> tuple[Application | None, ConfirmResult | None]:
    """The application a confirmation link points to, or why the link is no good."""
    try:
        pk = token_read("confirm", token, max_age=CONFIRM_MAX_AGE)
    except TokenExpired:
        return None, ConfirmResult.EXPIRED
    except TokenInvalid:
        return None, ConfirmResult.INVALID
    application = Application.objects.filter(pk=pk).first()
    if application is None:
        return None, ConfirmResult.INVALID
    if application.status == Application.Status.WITHDRAWN:
        # Set aside when the address's owner confirmed another application (see application_confirm).
        superseded = (
            Application.objects.filter(email=application.email, confirmed_at__gte=application.created_at)
            .exclude(pk=application.pk)
            .exists()
        )
        return (application, ConfirmResult.ALREADY) if superseded else (None, ConfirmResult.INVALID)
    if application.status != Application.Status.UNCONFIRMED:
        return application, ConfirmResult.ALREADY
    return application, None


def application_confirm(*, token: str, now: datetime | None = None) -> ConfirmResult:
    """Confirm the application this link was sent for, exactly as it was submitted.

    Other pending applications for the address (someone else typing it, or the owner's earlier details) are
    withdrawn: the owner has chosen, and the coordinator sees one application per address."""
    now = now or timezone.now()
    application, problem = application_from_token(token)
    if problem is not None:
        return problem
    with transaction.atomic():
        # Lock the address's pending applications, so that two links used at once confirm one of them.
        pending = {
            row.pk: row.status
            for row in Application.objects.select_for_update()
            .filter(email=application.email, status__in=[Application.Status.UNCONFIRMED, Application.Status.CONFIRMED])
            .only("pk", "status")
        }
        if pending.get(application.pk) != Application.Status.UNCONFIRMED or (
            Application.Status.CONFIRMED in pending.values()
        ):
            return ConfirmResult.ALREADY
        Application.objects.filter(pk=application.pk).update(status=Application.Status.CONFIRMED, confirmed_at=now)
        Application.objects.filter(pk__in=[pk for pk in pending if pk != application.pk]).update(
            status=Application.Status.WITHDRAWN
        )
    return ConfirmResult.CONFIRMED


class ReviewError(Exception):
    pass


def application_may_approve(application: Application) -> bool:
    """An application is approved once its address is confirmed, and only once."""
    return application.status == Application.Status.CONFIRMED


def application_may_decline(application: Application) -> bool:
    """An application is declined before it is decided, confirmed or not."""
    return application.status in (Application.Status.CONFIRMED, Application.Status.UNCONFIRMED)


@transaction.atomic
def application_approve(
    *, application: Application, decided_by=None, personal_line: str = "", now: datetime | None = None
) -> Ambassador:
    """Create the ambassador (or re-activate the one with that address), start onboarding and welcome them once:
    with onboarding's first step when it goes out now, else with the approval email (see
    `campaigns.services.ambassador_welcome`); the personal line goes into whichever it is."""
    now = now or timezone.now()
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application_may_approve(application):
        raise ReviewError(application.get_status_display())
    ambassador = selectors.ambassador_by_email(application.email)
    if ambassador is None:
        ambassador = Ambassador.objects.create(
            first_name=application.first_name,
            last_name=application.last_name,
            email=application.email,
            phone=application.phone,
            locality=application.locality,
            language=application.language,
            source=Ambassador.Source.SIGNUP,
            member_since=timezone.localdate(now),
        )
    else:
        ambassador.status = Ambassador.Status.ACTIVE
        ambassador.phone = ambassador.phone or application.phone
        ambassador.locality = ambassador.locality or application.locality
        ambassador.save()
    ambassador.interests.add(*application.interests.all())
    ConsentRecord.objects.filter(application=application).update(ambassador=ambassador)
    application.status = Application.Status.APPROVED
    application.ambassador = ambassador
    application.decided_at = now
    application.decided_by = decided_by
    application.save()
    contacts_joined(application=application, ambassador=ambassador, by=decided_by, now=now)
    ambassador_welcome(ambassador=ambassador, personal_line=personal_line, now=now)
    return ambassador


@transaction.atomic
def application_decline(
    *, application: Application, decided_by=None, personal_line: str = "", now: datetime | None = None
) -> None:
    now = now or timezone.now()
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application_may_decline(application):
        raise ReviewError(application.get_status_display())
    was_confirmed = application.status == Application.Status.CONFIRMED
    application.status = Application.Status.DECLINED
    application.decided_at = now
    application.decided_by = decided_by
    application.save()
    if was_confirmed:  # never mail an address its owner has not confirmed
        email_queue(
            template="application_declined",
            to_email=application.email,
            to_name=f"{application.first_name} {application.last_name}",
            language=application.language,
            application=application,
            context={"first_name": application.first_name, "personal_line": personal_line},
        )
