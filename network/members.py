"""Writes for ambassadors themselves: the coordinator's status changes, onboarding imported members, and self-service
(Mina sidor)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from campaigns.services import enroll_each, enrollments_stop, preferences_set
from crm.audit import Action as AuditAction
from crm.audit import audit_record

from .consent import PURPOSE_OF_KIND, consent_give, consent_withdraw
from .models import Ambassador, ConsentRecord, Interest, Locality


@transaction.atomic
def ambassadors_status_set(*, ambassadors: QuerySet[Ambassador], status: str, actor=None) -> int:
    """Set the status of the ambassadors selected (the admin's "mark as active / paused / alumni"), and record in
    the audit log a change for each one whose status it changed, by `actor`. Returns how many were selected."""
    changed = list(ambassadors.exclude(status=status).values_list("pk", flat=True))
    count = ambassadors.update(status=status)
    audit_record(action=AuditAction.CHANGE, ambassador_ids=changed, actor=actor)
    return count


def ambassadors_start_onboarding(*, ambassadors, now: datetime | None = None):
    """The introduction series for each active ambassador with an address (imported members, say); whoever is
    in it already is counted, not enrolled again. None when the series is switched off."""
    return enroll_each(ambassadors=ambassadors.select_related(None).only("pk", "status", "email"), now=now)


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
    preferences_set(ambassador=ambassador, newsletters=newsletters, invitations=invitations)
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
    enrollments_stop(ambassador=ambassador)
