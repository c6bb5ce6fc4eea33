"""Writes for people: signups, confirmation, review and recommendations.

Emails are queued through `campaigns.services` in the same transaction as the change that causes them.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from campaigns import services as email
from crm.languages import with_language
from crm.tokens import TokenExpired, TokenInvalid, token_make, token_read

from . import selectors
from .consent import PURPOSE_OF_KIND, consent_give, consent_withdraw, purpose_version
from .models import Ambassador, Application, ConsentRecord, Interest, Locality, RecruitmentContact

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
    email.email_queue(
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
    now: datetime | None = None,
) -> Application | None:
    """Record a signup and send what fits the address: a confirmation link, or "you are already an ambassador".

    The caller shows the same page whatever happens here, so nobody can learn who is registered.

    Anyone can type any address, so a pending application never changes here: the same details again are the same
    application (its link resent at most every ten minutes); other details are a new application with a link of
    its own, and the link the address's owner uses decides which one is confirmed (see `application_confirm`).
    """
    now = now or timezone.now()
    email_address = email_address.strip().lower()
    ambassador = selectors.ambassador_by_email(email_address)
    if ambassador is not None and ambassador.status != Ambassador.Status.ALUMNI:
        email.email_queue(
            template="already_ambassador",
            to_email=email_address,
            to_name=ambassador.full_name,
            language=language,
            ambassador=ambassador,
            context={"first_name": ambassador.first_name},
            # At most one such email per address per ten minutes.
            key=f"already:{email_address}:{int(now.timestamp()) // int(RESEND_INTERVAL.total_seconds())}",
        )
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
    application = next((a for a in pending if _same_details(a, fields, interests)), None)
    if application is None:
        # A new signup: as few statements as it takes (the request does nothing slow, and no more than needed).
        application = Application.objects.create(email=email_address, confirmation_sent_at=now, **fields)
        Application.interests.through.objects.bulk_create(
            [Application.interests.through(application=application, interest=interest) for interest in interests]
        )
        resend = True
    else:
        resend = not application.confirmation_sent_at or now - application.confirmation_sent_at >= RESEND_INTERVAL
        if resend:
            application.confirmation_sent_at = now
            application.save(update_fields=["confirmation_sent_at"])
    ConsentRecord.objects.create(
        email=email_address,
        purpose=ConsentRecord.Purpose.AMBASSADOR_REGISTRY,
        text_version=purpose_version(ConsentRecord.Purpose.AMBASSADOR_REGISTRY),
        source=ConsentRecord.Source.SIGNUP,
        application=application,
    )
    if resend:
        _queue_confirmation(application)
    return application


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


@transaction.atomic
def application_approve(
    *, application: Application, decided_by=None, personal_line: str = "", now: datetime | None = None
) -> Ambassador:
    """Create the ambassador (or re-activate the one with that address), start onboarding and welcome them once:
    with onboarding's first step when it goes out now, else with the approval email (see
    `campaigns.services.ambassador_welcome`); the personal line goes into whichever it is."""
    now = now or timezone.now()
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.CONFIRMED:
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
    email.ambassador_welcome(ambassador=ambassador, personal_line=personal_line, now=now)
    return ambassador


@transaction.atomic
def application_decline(
    *, application: Application, decided_by=None, personal_line: str = "", now: datetime | None = None
) -> None:
    now = now or timezone.now()
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in (Application.Status.CONFIRMED, Application.Status.UNCONFIRMED):
        raise ReviewError(application.get_status_display())
    was_confirmed = application.status == Application.Status.CONFIRMED
    application.status = Application.Status.DECLINED
    application.decided_at = now
    application.decided_by = decided_by
    application.save()
    if was_confirmed:  # never mail an address its owner has not confirmed
        email.email_queue(
            template="application_declined",
            to_email=application.email,
            to_name=f"{application.first_name} {application.last_name}",
            language=application.language,
            application=application,
            context={"first_name": application.first_name, "personal_line": personal_line},
        )


def ambassadors_start_onboarding(*, ambassadors, now: datetime | None = None):
    """The introduction series for each active ambassador with an address (imported members, say); whoever is
    in it already is counted, not enrolled again. None when the series is switched off."""
    return email.enroll_each(ambassadors=ambassadors.select_related(None).only("pk", "status", "email"), now=now)


@transaction.atomic
def recommendation_submit(
    *, tipper_name: str, tipper_email: str, name: str, contact: str, note: str = ""
) -> RecruitmentContact | None:
    """Record the tip for the coordinator's follow-up list, email the coordinator about it at once (unless
    NOTIFY_COORDINATOR_OF_TIPS is off; queued in the same transaction: both or neither), and tell the recommended
    person (GDPR art. 14)."""
    if recommendation_unwanted(contact):  # they objected, or were erased: not stored again, nobody told
        return None
    recommendation = RecruitmentContact.objects.create(
        name=name,
        contact=contact,
        note=note,
        source=RecruitmentContact.Source.REFERRAL,
        tipper_name=tipper_name,
        tipper_email=tipper_email.strip().lower(),
        referred_by=selectors.ambassador_by_email(tipper_email),
    )
    if settings.NOTIFY_COORDINATOR_OF_TIPS and settings.COORDINATOR_EMAIL:
        email.email_queue(
            template="tip_received",
            to_email=settings.COORDINATOR_EMAIL,
            key=f"tip:{recommendation.pk}",
            context={
                "name": recommendation.name,
                "contact": recommendation.contact,
                "note": recommendation.note,
                "tipper_name": recommendation.tipper_name,
                "tipper_email": recommendation.tipper_email,
                "referred_by": recommendation.referred_by_id is not None,
                "admin_url": _absolute(reverse("admin:network_recruitmentcontact_change", args=[recommendation.pk])),
            },
        )
    recommendation_notice_queue(recommendation, language=translation.get_language() or "sv")
    return recommendation


# Recommended people: told at once (GDPR art. 14), and may object ----------------------------------------------

CONTACT_OBJECTION = "contact-objection"


def contact_objection_url(contact: RecruitmentContact) -> str:
    # No max age: a recommended person may object whenever they like (art. 21), as long as we have their details.
    return _absolute(reverse("recommendation-objection", args=[token_make(CONTACT_OBJECTION, contact.pk)]))


def recommendation_notice_queue(contact: RecruitmentContact, *, language: str = "sv") -> int:
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


def recommendation_unwanted(contact: str) -> bool:
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


# Self-service (Mina sidor) -------------------------------------------------------------------------------------


@transaction.atomic
def ambassador_details_update(
    *,
    ambassador: Ambassador,
    first_name: str,
    last_name: str,
    phone: str,
    locality: Locality | None,
    interests: list[Interest] | tuple = (),
) -> None:
    """The person's own changes to their details (the address is what they sign in with: the coordinator changes
    it)."""
    ambassador.first_name = first_name
    ambassador.last_name = last_name
    ambassador.phone = phone
    ambassador.locality = locality
    ambassador.save(update_fields=["first_name", "last_name", "phone", "locality", "updated_at"])
    ambassador.interests.set(interests)


@transaction.atomic
def ambassador_mailings_choose(*, ambassador: Ambassador, newsletters: bool, invitations: bool, source: str) -> None:
    """The person's own choice of mailings: what they turn off is an unsubscribe and a withdrawn consent, what they
    turn back on a consent given again (network.consent), each recorded with its source."""
    before = {"newsletter": ambassador.wants_newsletters, "invitation": ambassador.wants_invitations}
    after = {"newsletter": newsletters, "invitation": invitations}
    email.preferences_set(ambassador=ambassador, newsletters=newsletters, invitations=invitations)
    for kind, wanted in after.items():
        if not wanted:
            consent_withdraw(ambassador=ambassador, purpose=PURPOSE_OF_KIND[kind], source=source)
        elif not before[kind]:
            consent_give(ambassador=ambassador, purpose=PURPOSE_OF_KIND[kind], source=source)
    ambassador.wants_newsletters, ambassador.wants_invitations = newsletters, invitations


@transaction.atomic
def ambassador_leave(*, ambassador: Ambassador) -> None:
    """The person leaves the network (Mina sidor): alumni from now on, no newsletters or invitations (unsubscribes
    and withdrawn consents), membership consent withdrawn, no further onboarding step. Retention (the alumni
    period) applies from here."""
    Ambassador.objects.filter(pk=ambassador.pk).update(status=Ambassador.Status.ALUMNI, updated_at=timezone.now())
    ambassador.status = Ambassador.Status.ALUMNI
    source = ConsentRecord.Source.MY_PAGES
    ambassador_mailings_choose(ambassador=ambassador, newsletters=False, invitations=False, source=source)
    consent_withdraw(ambassador=ambassador, purpose=ConsentRecord.Purpose.AMBASSADOR_REGISTRY, source=source)
    email.enrollments_stop(ambassador=ambassador)
