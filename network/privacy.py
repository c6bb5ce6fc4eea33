"""The network's part of a person's data export and erasure: the ambassador, their applications, consent records
and the recruitment contacts about them or made by them. `crm.privacy` puts the apps' parts together.

What is whose: a recommendation of the person is theirs without the name of who recommended them (a third
party; the export says it came from a recommendation); a recommendation they made is theirs only as far as
their own name and address go (the person they recommended is somebody else).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import models, transaction
from django.db.models import Q, QuerySet

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


def exportable(value):
    """A value as JSON holds it: times and dates in ISO 8601, related objects by their name."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def row(obj: models.Model, *, exclude: tuple[str, ...] = (), only: tuple[str, ...] = ()) -> dict:
    """The object's fields (its many-to-many ones as lists of names), as a JSON-ready dict keyed by field name.

    Every field unless excluded: a field added later is exported without anyone remembering to."""
    data = {}
    fields = [*obj._meta.concrete_fields, *obj._meta.many_to_many]
    for field in fields:
        if (only and field.name not in only) or field.name in exclude:
            continue
        if field.many_to_many:
            data[field.name] = [str(item) for item in getattr(obj, field.name).all()]
        elif field.is_relation:
            data[field.name] = exportable(getattr(obj, field.name))
        else:
            data[field.name] = exportable(field.value_from_object(obj))
    return data


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


def contacts_referred_by(ambassador: Ambassador, scope: Scope) -> QuerySet[RecruitmentContact]:
    """The recruitment contacts the person recommended (as an ambassador, or with an address they have proven)."""
    return RecruitmentContact.objects.filter(Q(referred_by=ambassador) | Q(referrer_email__in=scope.addresses))


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
        "network.ambassador": [row(ambassador, exclude=("referred_by",))],
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
                row(contact, exclude=("referrer_name", "referrer_email", "referred_by", "owner"))
                for contact in about.order_by("created_at", "pk")
            ),
            *(
                row(contact, only=("id", "referrer_name", "referrer_email", "created_at"))
                for contact in contacts_referred_by(ambassador, scope)
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


def person_object_ids(ambassador: Ambassador, scope: Scope) -> dict[type[models.Model], list[int]]:
    """The rows that are the person, by model: for whoever else keeps their ids (the admin's log, the emails about
    a recommendation)."""
    return {
        Ambassador: [ambassador.pk],
        Application: list(scope.application_ids),
        RecruitmentContact: list(scope.contact_ids),
    }


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
def person_erase(ambassador: Ambassador, scope: Scope) -> None:
    """Delete the person, their applications and the recommendations of them; keep the consent
    proof under a pseudonym; take their name and address off the recommendations they made (the contact stays: it
    is someone else's). Called last by crm.privacy.person_erase, after the other apps have let go of the person."""
    consents_pseudonymise(_consents(ambassador, scope))
    # Their stage changes and the notes about them go with the contact rows and the ambassador row (cascade).
    RecruitmentContact.objects.filter(pk__in=scope.contact_ids).delete()
    contacts_referred_by(ambassador, scope).update(referrer_name="", referrer_email="", referred_by=None)
    Registration.objects.filter(ambassador=ambassador).delete()  # the events' counts go down with them
    Application.objects.filter(pk__in=scope.application_ids).delete()
    Ambassador.objects.filter(pk=ambassador.pk).delete()


def applicant_contact_ids(application_ids) -> list[int]:
    """The recruitment contacts that became these applications, when the applicant proved the address (confirmed
    it): an unconfirmed application may carry anybody's address, and the contact its address matched stays."""
    return list(
        RecruitmentContact.objects.filter(
            application__in=list(application_ids), application__confirmed_at__isnull=False
        ).values_list("pk", flat=True)
    )


def applications_erase(application_ids, contact_ids) -> None:
    """Delete applications that are nobody's ambassador row (applicants), with the contacts that became them
    (`contact_ids`); keep the consent proof under a pseudonym. Other contacts pointing at them stay, unlinked."""
    ids = list(application_ids)
    consents_pseudonymise(ConsentRecord.objects.filter(application_id__in=ids))
    RecruitmentContact.objects.filter(pk__in=list(contact_ids)).delete()
    Application.objects.filter(pk__in=ids).delete()


def contacts_erase(contact_ids) -> None:
    """Recruitment contacts go, with their stage changes and the notes about them."""
    RecruitmentContact.objects.filter(pk__in=list(contact_ids)).delete()
