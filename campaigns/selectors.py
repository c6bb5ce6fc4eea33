"""Reads for email: who an audience reaches, who is left out and why, how far a send has come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from crm.pseudonyms import ERASED_DOMAIN, pseudonyms
from network import selectors as people
from network.models import Ambassador

from .models import Campaign, Delivery, Segment, Suppression

PREFERENCE = {Campaign.Kind.NEWSLETTER: "wants_newsletters", Campaign.Kind.INVITATION: "wants_invitations"}


def segment_members(segment: Segment) -> QuerySet[Ambassador]:
    return members_matching(
        statuses=segment.statuses,
        locality_ids=list(segment.localities.values_list("pk", flat=True)),
        interest_ids=list(segment.interests.values_list("pk", flat=True)),
        member_since_from=segment.member_since_from,
        member_since_to=segment.member_since_to,
        received_id=segment.received_id,
        not_received_id=segment.not_received_id,
    )


def members_matching(*, received_id: int | None = None, not_received_id: int | None = None, **choices):
    """An audience's members from the coordinator's choices (saved in a Segment or still in the form)."""
    members = people.ambassadors_matching(**choices)
    if received_id:
        members = members.filter(pk__in=_received(received_id))
    if not_received_id:
        members = members.exclude(pk__in=_received(not_received_id))
    return members


def _received(campaign_id: int):
    # Not the coordinator's test copies: their NULL ambassador would make NOT IN (…) match nobody.
    return Delivery.objects.filter(
        campaign_id=campaign_id, status=Delivery.Status.SENT, ambassador__isnull=False
    ).values("ambassador_id")


@dataclass
class Audience:
    recipients: QuerySet[Ambassador]
    no_email: int
    unsubscribed: int
    suppressed: int

    @property
    def excluded(self) -> int:
        return self.no_email + self.unsubscribed + self.suppressed


def audience(segment: Segment, kind: str = Campaign.Kind.NEWSLETTER) -> Audience:
    return audience_of(segment_members(segment), kind)


def audience_of(members: QuerySet[Ambassador], kind: str = Campaign.Kind.NEWSLETTER) -> Audience:
    """Who a campaign of this kind would reach now, and who is left out (each counted once, first reason wins)."""
    wants = PREFERENCE[kind]
    suppressed = Q(email__in=Suppression.objects.values("email"))
    if erased := _erased_member_ids(members):
        suppressed |= Q(pk__in=erased)
    counts = members.aggregate(
        no_email=Count("pk", filter=Q(email__isnull=True)),
        unsubscribed=Count("pk", filter=Q(email__isnull=False, **{wants: False})),
        suppressed=Count("pk", filter=Q(email__isnull=False, **{wants: True}) & suppressed),
    )
    recipients = members.filter(email__isnull=False, **{wants: True}).exclude(suppressed)
    return Audience(recipients=recipients, **counts)


def _erased_member_ids(members: QuerySet[Ambassador]) -> list[int]:
    """Members whose address belonged to someone erased (kept on the suppression list as a pseudonym only,
    campaigns.privacy), unless they have signed up and been approved again since. Nothing to do while nobody has
    been erased; otherwise one keyed hash per member address, computed here."""
    erased = dict(Suppression.objects.filter(email__endswith=f"@{ERASED_DOMAIN}").values_list("email", "created_at"))
    if not erased:
        return []
    found = {}
    for pk, address in members.filter(email__isnull=False).values_list("pk", "email").iterator():
        if hits := pseudonyms(address) & erased.keys():
            found[pk] = min(erased[hit] for hit in hits)
    back = people.ambassadors_approved_since(found) if found else set()
    return [pk for pk in found if pk not in back]


@dataclass
class Progress:
    total: int
    sent: int
    failed: int
    skipped: int
    remaining: int
    per_minute: int

    @property
    def percent(self) -> int:
        return round(100 * (self.total - self.remaining) / self.total) if self.total else 0


def campaign_progress(campaign: Campaign) -> Progress:
    recent = timezone.now() - timedelta(minutes=1)
    counts = Delivery.objects.filter(campaign=campaign, is_test=False).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        skipped=Count("pk", filter=Q(status=Delivery.Status.SKIPPED)),
        remaining=Count("pk", filter=Q(status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING])),
        per_minute=Count("pk", filter=Q(status=Delivery.Status.SENT, sent_at__gte=recent)),
    )
    skipped_at_fan_out = campaign.skipped_no_email + campaign.skipped_unsubscribed + campaign.skipped_suppressed
    counts["skipped"] += skipped_at_fan_out
    counts["total"] += skipped_at_fan_out
    return Progress(**counts)


def campaign_report(campaign: Campaign) -> dict:
    deliveries = Delivery.objects.filter(campaign=campaign, is_test=False)
    return deliveries.aggregate(
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
    ) | {"unsubscribed": campaign.unsubscribe_set.count()}


@dataclass
class MailStatus:
    """What stops email reaching one person, for their page in the admin: the unsubscribes they made (newest
    first) and whether their address is blocked (a hard bounce, a complaint, …)."""

    unsubscribes: list
    suppression: Suppression | None


def mail_status(ambassador: Ambassador) -> MailStatus:
    return MailStatus(
        unsubscribes=list(ambassador.unsubscribes.select_related("campaign").order_by("-created_at")),
        suppression=Suppression.objects.filter(email=ambassador.email).first() if ambassador.email else None,
    )
