"""The network's part of a person's data export and erasure: the ambassador, their applications, consent records
and the recruitment contacts about them or made by them. `crm.privacy` puts the apps' parts together for a person
(settings.PRIVACY_PROVIDERS; `Scope` is settings.PRIVACY_SCOPE). Erasing applicants (`applications_erase`) and
recruitment contacts (`contacts_erase`) happens here, with the emails about them through campaigns.services.

What is whose: a recommendation of the person is theirs without the name of who recommended them (a third
party; the export says it came from a recommendation); a recommendation they made is theirs only as far as
their own name and address go (the person they recommended is somebody else).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Q

from campaigns.services import application_emails_erase, contact_emails_erase
from crm.privacy import admin_log_forget, row
from crm.pseudonyms import is_pseudonym, pseudonym

from . import selectors
from .models import Ambassador, Application, ConsentRecord, Note, RecruitmentContact, Registration, StageChange
from .normalize import normalize_email, normalize_phone

_ADDRESS = re.compile(r"[^\s,;:<>()\[\]\"']+@[^\s,;:<>()\[\]\"']+")


@dataclass(frozen=True)
class Scope:
    """What is the person's besides the rows linked to their ambassador row (crm.privacy): the addresses they have
    proven, their applications, and the recruitment contacts about them (that became them or their application,
    or with an address they have proven; never by a phone number or a name). Read once per export or erasure."""

    addresses: frozenset[str]
    application_ids: tuple[int, ...]
    contact_ids: tuple[int, ...]

    @classmethod
    def of(cls, ambassador: Ambassador) -> Scope:
        addresses = selectors.person_addresses(ambassador)
        application_ids = tuple(selectors.person_applications(ambassador, addresses).values_list("pk", flat=True))
        contacts = RecruitmentContact.objects.filter(
            Q(ambassador=ambassador) | Q(application__in=application_ids) | Q(email__in=addresses)
        )
        return cls(frozenset(addresses), application_ids, tuple(contacts.values_list("pk", flat=True)))


# Reading ---------------------------------------------------------------------------------------------------


def contact_addresses(text: str) -> set[str]:
    """The email addresses in a recruitment contact's "how to reach them", normalised."""
    found = set()
    for candidate in _ADDRESS.findall(text or ""):
        try:
            found.add(normalize_email(candidate.strip(".")))
        except ValueError:
            continue
    return {address for address in found if address}


def contact_phones(text: str) -> set[str]:
    """The phone numbers (E.164) in a recruitment contact's "how to reach them"."""
    rest = _ADDRESS.sub(" ", text or "")
    phones = set()
    for part in [rest, *re.split(r"[,;/]| eller | or ", rest)]:
        try:
            phone = normalize_phone(part)
        except ValueError:
            continue
        if phone:
            phones.add(phone)
    return phones


def _consents(ambassador: Ambassador, scope: Scope):
    return ConsentRecord.objects.filter(
        Q(ambassador=ambassador) | Q(application_id__in=scope.application_ids) | Q(email__in=scope.addresses)
    )


def person_data(ambassador: Ambassador, scope: Scope) -> dict[str, list[dict]]:
    applications = Application.objects.filter(pk__in=scope.application_ids).prefetch_related("interests")
    about = RecruitmentContact.objects.filter(pk__in=scope.contact_ids).select_related("locality")
    about_ids = list(scope.contact_ids)
    return {
        # Who recommended them is someone else's data: `source` says it was a recommendation.
        "network.ambassador": [row(ambassador, exclude=("recommended_by",))],
        # Who decided is a member of staff; the ambassador link is the person themself.
        "network.application": [
            row(application, exclude=("ambassador", "decided_by"))
            for application in applications.select_related("locality").order_by("created_at", "pk")
        ],
        "network.consentrecord": [
            row(record, exclude=("ambassador", "application"))
            for record in _consents(ambassador, scope).order_by("given_at", "pk")
        ],
        # Their answers to invitations and whether they came (the event by its title).
        "network.registration": [
            row(registration, exclude=("ambassador",))
            for registration in Registration.objects.filter(ambassador=ambassador)
            .select_related("event")
            .order_by("answered_at", "pk")
        ],
        "network.recruitmentcontact": [
            *(
                row(contact, exclude=("recommender_name", "recommender_email", "recommended_by", "owner"))
                for contact in about.order_by("created_at", "pk")
            ),
            *(
                row(contact, only=("id", "recommender_name", "recommender_email", "created_at"))
                for contact in selectors.contacts_recommended_by(ambassador, scope.addresses)
                .exclude(pk__in=about_ids)
                .order_by("created_at", "pk")
            ),
        ],
        # The history of the contacts about them, and the coordinators' notes about them (who wrote a note, or
        # changed a stage, is a member of staff).
        "network.stagechange": [
            row(change, exclude=("contact", "changed_by"))
            for change in StageChange.objects.filter(contact__in=about_ids).order_by("created_at", "pk")
        ],
        "network.note": [
            row(note, exclude=("ambassador", "contact", "author"))
            for note in Note.objects.filter(Q(ambassador=ambassador) | Q(contact__in=about_ids)).order_by(
                "created_at", "pk"
            )
        ],
    }


# Erasing ---------------------------------------------------------------------------------------------------


def consents_pseudonymise(records) -> int:
    """Keep the proof of consent (what, when, which text), with the address replaced by its pseudonym and no link
    to the person or application: a person who shows their address can still be told what they agreed to."""
    count = 0
    for pk, address in list(records.values_list("pk", "email")):
        count += ConsentRecord.objects.filter(pk=pk).update(
            email=address if is_pseudonym(address) else pseudonym(address), ambassador=None, application=None
        )
    return count


@transaction.atomic
def person_erase(ambassador: Ambassador, scope: Scope) -> dict[type[models.Model], list[int]]:
    """Delete the person, their applications and the recommendations of them; keep the consent
    proof under a pseudonym; take their name and address off the recommendations they made (the contact stays: it
    is someone else's). Called last by crm.privacy.person_erase, after the other apps have let go of the person.
    Returns the removed rows' ids by model, for the admin's log."""
    consents_pseudonymise(_consents(ambassador, scope))
    # Their stage changes and the notes about them go with the contact rows and the ambassador row (cascade).
    RecruitmentContact.objects.filter(pk__in=scope.contact_ids).delete()
    selectors.contacts_recommended_by(ambassador, scope.addresses).update(
        recommender_name="", recommender_email="", recommended_by=None
    )
    Registration.objects.filter(ambassador=ambassador).delete()  # the events' counts go down with them
    Application.objects.filter(pk__in=scope.application_ids).delete()
    Ambassador.objects.filter(pk=ambassador.pk).delete()
    return {
        Ambassador: [ambassador.pk],
        Application: list(scope.application_ids),
        RecruitmentContact: list(scope.contact_ids),
    }


def applicant_contact_ids(application_ids) -> list[int]:
    """The recruitment contacts that became these applications, when the applicant proved the address (confirmed
    it): an unconfirmed application may carry anybody's address, and the contact its address matched stays."""
    return list(
        RecruitmentContact.objects.filter(
            application__in=list(application_ids), application__confirmed_at__isnull=False
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def applications_erase(application_ids) -> int:
    """Erase applicants: the applications (none may be an ambassador's: that person is erased with
    crm.privacy.person_erase), the recruitment contacts that became them, the emails to them and about them. Their
    consent proof stays under a pseudonym; other contacts pointing at them stay, unlinked. Returns how many
    applications went."""
    ids = list(
        Application.objects.filter(pk__in=list(application_ids), ambassador__isnull=True).values_list("pk", flat=True)
    )
    contact_ids = applicant_contact_ids(ids)
    application_emails_erase(ids, contact_ids)
    consents_pseudonymise(ConsentRecord.objects.filter(application_id__in=ids))
    RecruitmentContact.objects.filter(pk__in=contact_ids).delete()
    Application.objects.filter(pk__in=ids).delete()
    admin_log_forget({Application: ids, RecruitmentContact: contact_ids})
    return len(ids)


@transaction.atomic
def contacts_erase(contact_ids, *, objected: bool = False) -> int:
    """Erase recruitment contacts: the rows, their stage changes and notes (cascade), and the emails about them.
    `objected`: the recommended person objected by the link mailed to them (GDPR art. 21), so the addresses in
    "how to reach them" are never mailed or recommended again (they stay on the suppression list as pseudonyms),
    and the emails to them keep no address. Returns how many went."""
    contacts = RecruitmentContact.objects.filter(pk__in=list(contact_ids))
    ids = list(contacts.values_list("pk", flat=True))
    addresses = set()
    if objected:
        for text, address in contacts.values_list("contact_details", "email"):
            addresses |= contact_addresses(text) | {address}
    contact_emails_erase(ids, objected=addresses)
    RecruitmentContact.objects.filter(pk__in=ids).delete()
    admin_log_forget({RecruitmentContact: ids})
    return len(ids)
