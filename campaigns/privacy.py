"""The email part of a person's data export and erasure: the messages sent to them, their unsubscribes, their place
in a sequence, the suppression of their address and the webhook events about it. `crm.privacy` puts the apps'
parts together.

Erasing keeps every count of the campaign reports: a delivery keeps its campaign, status and times and loses who
it was for; an unsubscribe keeps its campaign and kind and loses the person. The address itself stays on the
suppression list only as a pseudonym (crm.pseudonyms), so the person is never mailed again, even if an old member
list brings them back (campaigns.selectors.audience_of), until they sign up again themselves.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from crm.pseudonyms import pseudonym, pseudonyms
from network import selectors as people
from network.models import Ambassador
from network.privacy import contacts_about, contacts_referred_by, row

from .models import Delivery, Enrollment, Suppression, TrackingEvent, Unsubscribe

BATCH = 1000
# What goes from a delivery: everything that says who it was for (an error may quote the address, a key hold it).
DELIVERY_ERASED = {
    "to_email": "",
    "to_name": "",
    "context": {},
    "last_error": "",
    "key": None,
    "ambassador": None,
    "application": None,
}
DELIVERY_FIELDS = (
    "id",
    "template",
    "campaign",
    "to_email",
    "status",
    "created_at",
    "sent_at",
    "delivered_at",
    "bounced_at",
    "complained_at",
    "opened_at",
    "clicked_at",
)


def _scope(ambassador: Ambassador) -> tuple[set[str], list[int]]:
    return (
        people.person_addresses(ambassador),
        list(people.person_applications(ambassador).values_list("pk", flat=True)),
    )


def _about_contacts(contact_ids) -> Q:
    """The coordinator's notices of new recommendations (network.services.referral_submit, key "tip:<id>"):
    sent to the coordinator, but about the recommended person (their name, how to reach them, the note)."""
    return Q(key__in=[f"tip:{pk}" for pk in contact_ids]) if contact_ids else Q(pk__in=[])


def _deliveries(*, addresses: set[str], ambassador_id: int | None = None, application_ids=()):
    """Real messages (not the coordinator's test copies) to the person, their applications or their addresses."""
    condition = Q(pk__in=[])
    if ambassador_id is not None:
        condition |= Q(ambassador_id=ambassador_id)
    if application_ids:
        condition |= Q(application_id__in=list(application_ids))
    if addresses:
        condition |= Q(to_email__in=addresses)
    return Delivery.objects.filter(condition, is_test=False)


def person_data(ambassador: Ambassador) -> dict[str, list[dict]]:
    addresses, application_ids = _scope(ambassador)
    deliveries = _deliveries(addresses=addresses, ambassador_id=ambassador.pk, application_ids=application_ids)
    return {
        "campaigns.delivery": [
            row(delivery, only=DELIVERY_FIELDS)
            for delivery in deliveries.select_related("campaign").order_by("created_at", "pk")
        ],
        "campaigns.unsubscribe": [
            row(record, exclude=("ambassador",))
            for record in Unsubscribe.objects.filter(ambassador=ambassador).select_related("campaign").order_by("pk")
        ],
        "campaigns.enrollment": [
            row(enrollment, exclude=("ambassador",))
            for enrollment in Enrollment.objects.filter(ambassador=ambassador).select_related("sequence", "next_step")
        ],
        "campaigns.suppression": [
            row(suppression) for suppression in Suppression.objects.filter(email__in=addresses).order_by("pk")
        ],
        "campaigns.trackingevent": [
            row(event, only=("id", "esp", "event_type", "recipient", "description", "occurred_at"))
            for event in TrackingEvent.objects.filter(recipient__in=addresses).order_by("pk")
        ],
    }


@transaction.atomic
def person_erase(ambassador: Ambassador) -> None:
    addresses, application_ids = _scope(ambassador)
    _erase(addresses=addresses, ambassador_id=ambassador.pk, application_ids=application_ids)
    # The coordinator's notices of recommendations of them, and of those they made (which name them).
    contact_ids = [contact.pk for contact in contacts_about(ambassador)]
    contact_ids += list(contacts_referred_by(ambassador).values_list("pk", flat=True))
    _anonymise(Delivery.objects.filter(_about_contacts(contact_ids)))
    Unsubscribe.objects.filter(ambassador=ambassador).update(ambassador=None)
    Enrollment.objects.filter(ambassador=ambassador).delete()


@transaction.atomic
def contact_erase(*, contact_id: int, addresses: set[str]) -> None:
    """Erase what the email rows hold of a recommended person who objected: the emails to their address, and the
    coordinator's notice about them."""
    _erase(addresses={address.strip().lower() for address in addresses if address})
    _anonymise(Delivery.objects.filter(_about_contacts([contact_id])))


def _erase(*, addresses: set[str], ambassador_id: int | None = None, application_ids=()) -> None:
    _anonymise(_deliveries(addresses=addresses, ambassador_id=ambassador_id, application_ids=application_ids))
    if addresses:
        TrackingEvent.objects.filter(recipient__in=addresses).update(recipient="", description="")
    for address in addresses:
        _suppress_pseudonymously(address)


def _anonymise(rows) -> None:
    """The rows keep their campaign, status and times, and lose who they were for. What was still to be sent is
    not: it stays (a campaign counts it) as skipped."""
    queued = list(rows.filter(status=Delivery.Status.QUEUED).values_list("pk", flat=True))
    ids = list(rows.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        Delivery.objects.filter(pk__in=ids[start : start + BATCH]).update(**DELIVERY_ERASED)
    for start in range(0, len(queued), BATCH):
        Delivery.objects.filter(pk__in=queued[start : start + BATCH], status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SKIPPED, last_error="erased"
        )


def _suppress_pseudonymously(address: str) -> None:
    """The address on the suppression list as its pseudonym only, keeping the reason it was there for (a bounce
    stays a bounce in the counts); a new row says it was erased."""
    kept = Suppression.objects.filter(email__in=pseudonyms(address)).exists()
    plain = Suppression.objects.filter(email=address)
    if kept:
        plain.delete()
    elif not plain.update(email=pseudonym(address), detail=""):
        Suppression.objects.create(email=pseudonym(address), reason=Suppression.Reason.ERASED)


def address_erased(address: str) -> bool:
    """Whether this address belonged to someone erased (or a recommended person who objected)."""
    return bool(address) and Suppression.objects.filter(email__in=pseudonyms(address)).exists()
