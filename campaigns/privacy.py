"""The email part of a person's data export and erasure: the messages sent to them, their unsubscribes, their place
in a sequence, the suppression of their address and the webhook events about it. `crm.privacy` puts the apps'
parts together.

Erasing keeps every count of the campaign reports: a delivery keeps its campaign, status and times and loses who
it was for; an unsubscribe keeps its campaign and kind and loses the person. The address itself stays on the
suppression list only as a pseudonym (crm.pseudonyms), so the person is never mailed again, even if an old member
list brings them back (campaigns.selectors.audience_of), until they sign up again themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q

from crm.privacy import row
from crm.pseudonyms import pseudonym, pseudonyms
from network.models import Ambassador
from network.selectors import contacts_recommended_by

from .models import Delivery, Enrollment, Suppression, TrackingEvent, Unsubscribe

if TYPE_CHECKING:
    from network.privacy import Scope

BATCH = 1000
# What goes from a delivery: everything that says who it was for (an error may quote the address, a key hold it).
# What an erased or expired delivery keeps of its reader: nothing (campaigns.retention uses it too).
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


def _about_contacts(contact_ids) -> Q:
    """The emails about recommended people, by the contact's id in their key: the coordinator's notice of a new
    recommendation ("recommendation:<id>", which names the recommended person and who recommended them), the notice
    to the recommended person ("recommended:<id>:<n>") and the invitation to apply ("invitation:<id>:<date>")."""
    condition = _recommendation_notices(contact_ids)
    for pk in contact_ids:
        condition |= Q(key__startswith=f"recommended:{pk}:") | Q(key__startswith=f"invitation:{pk}:")
    return condition


def _recommendation_notices(contact_ids) -> Q:
    """The coordinator's notices of these recommendations: they name who made them too."""
    return Q(key__in=[f"recommendation:{pk}" for pk in contact_ids]) if contact_ids else Q(pk__in=[])


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


def person_data(ambassador: Ambassador, scope: Scope) -> dict[str, list[dict]]:
    deliveries = _deliveries(
        addresses=scope.addresses, ambassador_id=ambassador.pk, application_ids=scope.application_ids
    )
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
            row(suppression) for suppression in Suppression.objects.filter(email__in=scope.addresses).order_by("pk")
        ],
        "campaigns.trackingevent": [
            row(event, only=("id", "esp", "event_type", "recipient", "description", "occurred_at"))
            for event in TrackingEvent.objects.filter(recipient__in=scope.addresses).order_by("pk")
        ],
    }


@transaction.atomic
def person_erase(ambassador: Ambassador, scope: Scope) -> None:
    _erase(addresses=scope.addresses, ambassador_id=ambassador.pk, application_ids=scope.application_ids)
    # The emails about recommendations of them, and the coordinator's notices of those they made (which name them).
    recommended = list(contacts_recommended_by(ambassador, scope.addresses).values_list("pk", flat=True))
    _anonymise(Delivery.objects.filter(_about_contacts(scope.contact_ids) | _recommendation_notices(recommended)))
    Unsubscribe.objects.filter(ambassador=ambassador).update(ambassador=None)
    Enrollment.objects.filter(ambassador=ambassador).delete()


@transaction.atomic
def application_emails_erase(application_ids, contact_ids) -> None:
    """The emails to applications being erased (the confirmation link, a decision), and about the contacts that
    became them."""
    _anonymise(_deliveries(addresses=set(), application_ids=application_ids))
    _anonymise(Delivery.objects.filter(_about_contacts(contact_ids)))


@transaction.atomic
def contact_emails_erase(contact_ids, *, objected: set[str] = frozenset()) -> None:
    """The emails about recruitment contacts being erased. When the recommended person objected (GDPR art. 21, by
    the link mailed to them), also every email to `objected`, their addresses, which stay on the suppression list
    as pseudonyms: never mailed or recommended again."""
    _anonymise(Delivery.objects.filter(_about_contacts(contact_ids)))
    if objected:
        _erase(addresses={address.strip().lower() for address in objected if address})


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
