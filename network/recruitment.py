"""Recruitment: recommendations from /tipsa/ (a RecruitmentContact with source RECOMMENDATION), the notice a
recommended person gets (GDPR art. 14) and their objection; the pipeline's stages (each move a StageChange row), the
invitation to apply (a personal link to the signup form, filled in), and the moves a contact makes by itself when
they apply or are approved.

Emails are queued through `campaigns.services` in the same transaction as the change that causes them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.services import address_erased, email_queue
from crm.languages import with_language
from crm.tokens import TokenExpired, TokenInvalid, token_make, token_read

from . import selectors
from .models import Ambassador, Application, RecruitmentContact, StageChange
from .normalize import clean_text, display_phone

Stage = RecruitmentContact.Status
INVITATION = "recruitment-invitation"
INVITATION_MAX_AGE = timedelta(days=60)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _site_language(code: str | None) -> str:
    """A language of the site ("sv", "en"), the default for anything else."""
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


@transaction.atomic
def recommendation_submit(
    *,
    recommender_name: str,
    recommender_email: str,
    name: str,
    contact_details: str,
    note: str = "",
    recommender_may_be_named: bool = False,
) -> RecruitmentContact | None:
    """Record the recommendation for the coordinator's follow-up list, email the coordinator about it at once
    (unless NOTIFY_COORDINATOR_OF_RECOMMENDATIONS is off; queued in the same transaction: both or neither), and tell
    the recommended person (GDPR art. 14). The language of the page the recommender used is our best guess at the
    recommended person's: the notice is written in it, and it is stored as the contact's language."""
    if recommendation_unwanted(contact_details):  # they objected, or were erased: not stored again, nobody told
        return None
    from .privacy import contact_addresses, contact_phones

    recommendation = RecruitmentContact.objects.create(
        name=name,
        contact_details=contact_details,
        email=min(contact_addresses(contact_details), default=""),
        phone=min(contact_phones(contact_details), default=""),
        note=note,
        source=RecruitmentContact.Source.RECOMMENDATION,
        recommender_name=recommender_name,
        recommender_email=recommender_email.strip().lower(),
        recommender_may_be_named=recommender_may_be_named,
        language=_site_language(translation.get_language()),
        recommended_by=selectors.ambassador_by_email(recommender_email),
        owner=duty_coordinator(),
        follow_up_on=timezone.localdate() + timedelta(days=settings.RECRUITMENT_FOLLOW_UP_DAYS),
    )
    if settings.NOTIFY_COORDINATOR_OF_RECOMMENDATIONS and settings.COORDINATOR_EMAIL:
        email_queue(
            template="recommendation_received",
            to_email=settings.COORDINATOR_EMAIL,
            key=f"recommendation:{recommendation.pk}",
            context={
                "name": recommendation.name,
                "contact": display_phone(recommendation.contact_details),
                "note": recommendation.note,
                "recommender_name": recommendation.recommender_name,
                "recommender_email": recommendation.recommender_email,
                "recommended_by": recommendation.recommended_by_id is not None,
                "admin_url": _absolute(reverse("admin:network_recruitmentcontact_change", args=[recommendation.pk])),
            },
        )
    recommendation_notice_queue(recommendation)
    return recommendation


def duty_coordinator():
    """Who follows up a new recommendation: the active member of staff named by RECRUITMENT_DUTY_COORDINATOR (a
    username or an email address), else the first active member of staff; None when there is none."""
    staff = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("pk")
    named = settings.RECRUITMENT_DUTY_COORDINATOR.strip()
    if named:
        duty = staff.filter(Q(username=named) | Q(email__iexact=named)).first()
        if duty is not None:
            return duty
    return staff.first()


# Recommended people: told at once (GDPR art. 14), and may object ----------------------------------------------

CONTACT_OBJECTION = "contact-objection"


def contact_objection_url(contact: RecruitmentContact, language: str = "") -> str:
    """The link that erases the contact and keeps their addresses only as pseudonyms, never mailed or stored again:
    in the notice, and in the invitation (its one-click unsubscribe too). Opens in `language` when given."""
    # No max age: a recommended person may object whenever they like (art. 21), as long as we have their details.
    url = _absolute(reverse("recommendation-objection", args=[token_make(CONTACT_OBJECTION, contact.pk)]))
    return with_language(url, language) if language else url


# A name typed on /tipsa/ that looks like a link or an address is no name: such a recommender is not named.
_LINKISH = re.compile(r"://|www\.|@|\w\.[a-z]{2,}\b", re.IGNORECASE)
RECOMMENDER_NAME_MAX = 80


def recommender_named(contact: RecruitmentContact) -> str:
    """The recommender's name as they typed it, on one line, for our email to the person they recommended: only
    when they agreed to be named (the box on /tipsa/), and only a name (nothing like a link); "" otherwise.
    It is user input: the templates escape it in HTML and the subject never holds it."""
    if contact.source != RecruitmentContact.Source.RECOMMENDATION or not contact.recommender_may_be_named:
        return ""
    name = clean_text(contact.recommender_name)
    return "" if len(name) > RECOMMENDER_NAME_MAX or _LINKISH.search(name) else name


def recommendation_notice_queue(contact: RecruitmentContact, *, language: str | None = None) -> int:
    """Tell a recommended person with an email address who we are, why we have their details and how to have
    them deleted (GDPR art. 14), at once, in `language` (default the contact's). Not someone who is an ambassador
    already. The email quotes nothing from the form but the recommender's name, and that only when they agreed
    (recommender_named), so the form cannot be used to send anybody a message. Returns how many were queued."""
    from .privacy import contact_addresses

    language = _site_language(language or contact.language)
    queued = 0
    for number, address in enumerate(sorted(contact_addresses(contact.contact_details))):
        if selectors.ambassador_by_email(address) is not None:
            continue
        queued += bool(
            email_queue(
                template="recommendation_notice",
                to_email=address,
                language=language,
                context={
                    "objection_url": contact_objection_url(contact, language),
                    "recommender": recommender_named(contact),
                    "coordinator_name": getattr(settings, "COORDINATOR_NAME", ""),
                    "coordinator_email": settings.COORDINATOR_EMAIL,
                    "basis": getattr(settings, "PRIVACY", {}).get("purposes", {}).get("recruitment", {}).get("basis"),
                    "retention_days": getattr(settings, "RETENTION_RECRUITMENT_DAYS", 365),
                },
                key=f"recommended:{contact.pk}:{number}",
            )
        )
    return queued


def recommendation_unwanted(contact_details: str) -> bool:
    """Whether this "how to reach them" is the address of someone who objected or was erased: not stored again."""
    from .privacy import contact_addresses

    return any(address_erased(address) for address in contact_addresses(contact_details))


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
    from .privacy import contacts_erase

    contacts_erase([contact.pk], objected=True)
    return ObjectionResult.DONE


# Who a contact may be ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An ambassador or an applicant a contact may be, and why (a phone number, an address or a name in common).
    Only a suggestion: what someone typed proves nothing (crm.privacy), so only the coordinator links them."""

    person: Ambassador | Application
    reasons: tuple[str, ...]

    @property
    def is_ambassador(self) -> bool:
        return isinstance(self.person, Ambassador)

    @property
    def key(self) -> str:
        """What the link button sends: "ambassador:12" or "application:34"."""
        return f"{self.person._meta.model_name}:{self.person.pk}"


def contact_candidates(contact: RecruitmentContact, *, limit: int = 5) -> list[Candidate]:
    """The ambassadors, then the applicants (applications that are no ambassador's), who share a phone number, an
    address or the full name with the contact and are not linked to it yet. A few indexed queries."""
    from .privacy import contact_addresses, contact_phones

    if contact.ambassador_id:
        return []
    phones = {contact.phone, *contact_phones(contact.contact_details)} - {""}
    addresses = {contact.email, *contact_addresses(contact.contact_details)} - {""}
    words = contact.name.split()
    named = Q(first_name__iexact=words[0], last_name__iexact=" ".join(words[1:])) if len(words) > 1 else Q(pk__in=[])
    matching = Q(phone__in=phones) | Q(email__in=addresses) | named
    people = [
        *Ambassador.objects.filter(matching).order_by("pk")[:limit],
        *Application.objects.filter(matching, ambassador__isnull=True)
        .exclude(pk=contact.application_id)
        .order_by("-created_at")[:limit],
    ]
    found = []
    for person in people:
        reasons = (
            *([_("the same phone number")] if person.phone in phones else []),
            *([_("the same email address")] if person.email in addresses else []),
            *(
                [_("the same name")]
                if f"{person.first_name} {person.last_name}".lower() == " ".join(words).lower()
                else []
            ),
        )
        found.append(Candidate(person, reasons))
    return found


def contact_link(*, contact: RecruitmentContact, person: Ambassador | Application) -> None:
    """The coordinator says the contact is this ambassador or applicant: from now on it is theirs (their export
    shows it, their erasure removes it)."""
    field = "ambassador" if isinstance(person, Ambassador) else "application"
    RecruitmentContact.objects.filter(pk=contact.pk).update(**{field: person}, updated_at=timezone.now())
    setattr(contact, field, person)


def contact_link_suggested(*, contact: RecruitmentContact, key: str) -> Ambassador | Application | None:
    """Link the contact to the suggestion the coordinator picked (`key`, a Candidate's), when that person is still
    suggested: nothing is linked by a typed id. Returns the person linked, or None."""
    person = next((candidate.person for candidate in contact_candidates(contact) if candidate.key == key), None)
    if person is not None:
        contact_link(contact=contact, person=person)
    return person


# The pipeline -----------------------------------------------------------------------------------------------


def contact_stage_set(
    *,
    contact: RecruitmentContact,
    stage: str,
    reason: str = StageChange.Reason.STAFF,
    by=None,
    previous: str | None = None,
    now: datetime | None = None,
) -> StageChange | None:
    """Move the contact to `stage` and record the move (from `previous`, default its stage as loaded); nothing when
    it is there already. The one way a stage changes: by staff (the admin's form and list), an invitation, an
    application, an approval. A contact just created passes `previous=""`: its first stage is recorded too."""
    previous = contact.status if previous is None else previous
    if previous == stage:
        return None
    now = now or timezone.now()
    RecruitmentContact.objects.filter(pk=contact.pk).update(status=stage, updated_at=now)
    contact.status = stage
    return StageChange.objects.create(
        contact=contact, from_status=previous, to_status=stage, reason=reason, changed_by=by, created_at=now
    )


def contact_email(contact: RecruitmentContact) -> str:
    """The address to write to: the one given, else the first in "how to reach them"."""
    from .privacy import contact_addresses

    return contact.email or min(contact_addresses(contact.contact_details), default="")


def invitation_url(contact: RecruitmentContact) -> str:
    """The personal link to the signup form, filled in with what we know of them (network.views.signup)."""
    return f"{_absolute(reverse('signup'))}?inbjudan={token_make(INVITATION, contact.pk)}"


def contact_from_invitation(token: str) -> RecruitmentContact | None:
    """The contact an invitation link was made for, or None for a forged, expired or stale one."""
    if not token:
        return None
    try:
        pk = int(token_read(INVITATION, token, max_age=INVITATION_MAX_AGE))
    except (TokenExpired, TokenInvalid, TypeError, ValueError):
        return None
    return RecruitmentContact.objects.filter(pk=pk).select_related("locality").first()


def invitation_initial(token: str) -> dict:
    """What the signup form is filled in with from an invitation link (nothing for a bad link)."""
    contact = contact_from_invitation(token)
    if contact is None:
        return {}
    first, _space, last = contact.name.strip().partition(" ")
    return {
        "first_name": first,
        "last_name": last,
        "email": contact_email(contact),
        "phone": contact.phone,
        "locality": str(contact.locality_id) if contact.locality_id else "",
        "invitation": token,
    }


def contact_invite_blocker(contact: RecruitmentContact) -> str:
    """Why this contact cannot be invited to apply, in words for the coordinator; "" when they can."""
    address = contact_email(contact)
    if not address:
        return gettext("There is no email address to send the invitation to.")
    if contact.status not in selectors.OPEN_STAGES:
        return gettext("The contact has already applied, joined or said no, or was closed by us.")
    if selectors.ambassador_by_email(address) is not None:
        return gettext("The contact is already an ambassador.")
    return ""


def invitation_queue(contact: RecruitmentContact, *, now: datetime) -> None:
    """The invitation to apply, in the contact's language. It goes to someone who never signed up: cold mail, so
    it is bulk, with a one-click unsubscribe (`unsubscribe_url`, read by campaigns.emails.build_message for the
    List-Unsubscribe headers): the objection link, which erases them and keeps their address only as a pseudonym
    that is never mailed again. It says why they got it: who recommended them (when they may be named), or how
    the coordinator came across them (`source`)."""
    language = _site_language(contact.language)
    objection_url = contact_objection_url(contact, language)
    email_queue(
        template="recruitment_invitation",
        to_email=contact_email(contact),
        to_name=contact.name,
        language=language,
        context={
            "first_name": contact.name.strip().partition(" ")[0],
            "source": contact.source,
            "recommender": recommender_named(contact),
            "signup_url": with_language(invitation_url(contact), language),
            "objection_url": objection_url,
            "unsubscribe_url": objection_url,
            "coordinator_name": getattr(settings, "COORDINATOR_NAME", ""),
            "coordinator_email": settings.COORDINATOR_EMAIL,
        },
        key=f"invitation:{contact.pk}:{now.date().isoformat()}",
    )


@transaction.atomic
def contacts_invite(*, contacts, by=None, now: datetime | None = None) -> tuple[int, int]:
    """Send each contact with an address (and not already applied, joined, said no or closed) a personal link to the
    signup form; a contact still "identified" moves to "contacted". Returns (invited, skipped)."""
    now = now or timezone.now()
    invited = skipped = 0
    for contact in contacts.select_for_update(of=("self",)):  # the admin list joins nullable relations
        if contact_invite_blocker(contact):
            skipped += 1
            continue
        invitation_queue(contact, now=now)
        RecruitmentContact.objects.filter(pk=contact.pk).update(invited_at=now, updated_at=now)
        change = contact_stage_set(
            contact=contact, stage=Stage.CONTACTED if contact.status == Stage.NEW else contact.status, by=by, now=now
        )
        if change is None:  # the invitation is in the history all the same
            StageChange.objects.create(
                contact=contact,
                from_status=contact.status,
                to_status=contact.status,
                reason=StageChange.Reason.INVITED,
                changed_by=by,
                created_at=now,
            )
        else:
            StageChange.objects.filter(pk=change.pk).update(reason=StageChange.Reason.INVITED)
        invited += 1
    return invited, skipped


def contacts_applied(*, application: Application, invitation: str = "", now: datetime | None = None) -> int:
    """Someone applied: the contact their invitation link was for, and the open contacts with their address, move
    to "applied" and point at the application. Returns how many moved."""
    invited = contact_from_invitation(invitation)
    contacts = {
        c.pk: c for c in RecruitmentContact.objects.filter(email=application.email, status__in=selectors.OPEN_STAGES)
    }
    if invited is not None and invited.status in selectors.OPEN_STAGES:
        contacts[invited.pk] = invited
    for contact in contacts.values():
        RecruitmentContact.objects.filter(pk=contact.pk).update(application=application)
        contact_stage_set(contact=contact, stage=Stage.APPLIED, reason=StageChange.Reason.APPLIED, now=now)
    return len(contacts)


def contacts_joined(*, application: Application, ambassador: Ambassador, by=None, now: datetime | None = None) -> int:
    """An application was approved: the contacts it came from (or with its address, not declined) join, point at
    the ambassador, and whoever recommended them is credited (the ambassador's `recommended_by`, when not set)."""
    contacts = RecruitmentContact.objects.filter(
        Q(application=application) | Q(email=application.email, status__in=[*selectors.OPEN_STAGES, Stage.APPLIED])
    ).exclude(status__in=[Stage.JOINED, Stage.NOT_INTERESTED, Stage.CLOSED])
    moved = 0
    for contact in contacts:
        RecruitmentContact.objects.filter(pk=contact.pk).update(ambassador=ambassador)
        contact_stage_set(contact=contact, stage=Stage.JOINED, reason=StageChange.Reason.APPROVED, by=by, now=now)
        if (
            contact.recommended_by_id
            and not ambassador.recommended_by_id
            and contact.recommended_by_id != ambassador.pk
        ):
            Ambassador.objects.filter(pk=ambassador.pk).update(recommended_by=contact.recommended_by_id)
            ambassador.recommended_by_id = contact.recommended_by_id
        moved += 1
    return moved
