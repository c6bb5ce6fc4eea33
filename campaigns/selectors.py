"""Reads for email: who an audience reaches, who is left out and why, how far a send has come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from crm.pseudonyms import ERASED_DOMAIN, pseudonyms
from network.models import Ambassador
from network.selectors import ambassadors_approved_since, ambassadors_matching

from .models import Campaign, Delivery, Segment, Sequence, Suppression, TrackingEvent

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
        completed_training_id=segment.completed_training_id,
    )


def members_matching(*, received_id: int | None = None, not_received_id: int | None = None, **choices):
    """An audience's members from the coordinator's choices (saved in a Segment or still in the form)."""
    members = ambassadors_matching(**choices)
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
    if erased := erased_member_ids(members):
        suppressed |= Q(pk__in=erased)
    counts = members.aggregate(
        no_email=Count("pk", filter=Q(email__isnull=True)),
        unsubscribed=Count("pk", filter=Q(email__isnull=False, **{wants: False})),
        suppressed=Count("pk", filter=Q(email__isnull=False, **{wants: True}) & suppressed),
    )
    recipients = members.filter(email__isnull=False, **{wants: True}).exclude(suppressed)
    return Audience(recipients=recipients, **counts)


def erased_member_ids(members: QuerySet[Ambassador]) -> list[int]:
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
    back = ambassadors_approved_since(found) if found else set()
    return [pk for pk in found if pk not in back]


@dataclass
class Progress:
    """How far a send has come, from the rows (before the fan-out: the audience as it is now)."""

    total: int
    sent: int
    failed: int
    skipped: int
    remaining: int
    per_minute: int
    no_email: int = 0
    unsubscribed: int = 0
    suppressed: int = 0
    estimated: bool = False  # not fanned out yet: `remaining` is who the audience reaches now

    @property
    def percent(self) -> int:
        """The share of the messages to send that were sent (never rounded up to 100 while one is left or failed):
        skipped people were never to be sent to, and a failed message is not sent."""
        to_send = self.sent + self.failed + self.remaining
        return self.sent * 100 // to_send if to_send else 0


NOT_FANNED_OUT = [Campaign.Status.DRAFT, Campaign.Status.SCHEDULED, Campaign.Status.SENDING, Campaign.Status.PAUSED]


def campaign_progress(campaign: Campaign) -> Progress:
    if campaign.fanned_out_at is None and campaign.status in NOT_FANNED_OUT:
        # Before the fan-out there are no rows yet: what is left is everyone the audience reaches now.
        reached = audience(campaign.segment, campaign.kind)
        remaining = reached.recipients.count()
        return Progress(
            total=remaining + reached.excluded,
            sent=0,
            failed=0,
            skipped=reached.excluded,
            remaining=remaining,
            per_minute=0,
            no_email=reached.no_email,
            unsubscribed=reached.unsubscribed,
            suppressed=reached.suppressed,
            estimated=True,
        )
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
    return Progress(
        **counts,
        no_email=campaign.skipped_no_email,
        unsubscribed=campaign.skipped_unsubscribed,
        suppressed=campaign.skipped_suppressed,
    )


def campaign_status_text(campaign: Campaign, *, sent: int, failed: int) -> str:
    """The status as the rows tell it: a sent campaign with failed messages says so."""
    status = campaign.status
    if status == Campaign.Status.SENT:
        if failed and sent:
            return ngettext("Sent – %(count)d failed", "Sent – %(count)d failed", failed) % {"count": failed}
        if failed:
            return ngettext("Not sent – %(count)d message failed", "Not sent – all %(count)d failed", failed) % {
                "count": failed
            }
        if not sent:
            return gettext("Finished – nothing was sent (nobody left to send to)")
    elif status == Campaign.Status.SENDING and failed:
        return ngettext("Sending – %(count)d failed so far", "Sending – %(count)d failed so far", failed) % {
            "count": failed
        }
    elif status == Campaign.Status.CANCELLED and sent:
        return ngettext("Cancelled – %(count)d sent before", "Cancelled – %(count)d sent before", sent) % {
            "count": sent
        }
    return str(campaign.get_status_display())


def campaign_report(campaign: Campaign) -> dict:
    """What happened to the messages. "sent" is what the mail server accepted; "delivered", "bounced" and
    "complained" only an email service reports (tracking webhooks). `esp_reports` says whether any did: over plain
    SMTP none ever arrives, and "0 delivered" would be untrue."""
    deliveries = Delivery.objects.filter(campaign=campaign, is_test=False)
    report = deliveries.aggregate(
        sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
    ) | {"unsubscribed": campaign.unsubscribe_set.count()}
    report["esp_reports"] = bool(report["delivered"] or TrackingEvent.objects.filter(event_type="delivered").exists())
    return report


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


@dataclass(frozen=True)
class EmailEvent:
    """One thing that happened to a person's email, for their timeline (network.timeline)."""

    at: object  # datetime
    kind: str  # "sent", "failed", "bounced", "complained", "unsubscribed"
    what: str  # which email, or what they unsubscribed from


def person_email_events(*, ambassador_id: int | None, application_ids=(), limit: int = 50) -> list[EmailEvent]:
    """The latest `limit` emails to a person (by their ambassador row or applications) as sent / failed / bounced /
    complained events, and their unsubscribes, newest first. Two queries, whatever the person's history."""
    from .labels import readable_subject, template_label

    who = Q(application_id__in=list(application_ids))
    if ambassador_id:
        who |= Q(ambassador_id=ambassador_id)
    deliveries = (
        Delivery.objects.filter(who)
        .exclude(status__in=[Delivery.Status.QUEUED, Delivery.Status.SKIPPED])
        .select_related("campaign", "step")
        .only(
            "template",
            "status",
            "created_at",
            "sent_at",
            "bounced_at",
            "complained_at",
            "campaign__name",
            "step__subject",
        )
        .order_by("-created_at", "-pk")[:limit]
    )
    events = []
    for delivery in deliveries:
        what = delivery.campaign.name if delivery.campaign_id else template_label(delivery.template)
        if delivery.step_id:  # which email of the series: its subject ("Välkommen, [förnamn]! (e-postserie)")
            what = f"{readable_subject(delivery.step.subject)} ({what.lower()})"
        if delivery.sent_at:
            events.append(EmailEvent(delivery.sent_at, "sent", what))
        elif delivery.status == Delivery.Status.FAILED:
            events.append(EmailEvent(delivery.created_at, "failed", what))
        if delivery.bounced_at:
            events.append(EmailEvent(delivery.bounced_at, "bounced", what))
        if delivery.complained_at:
            events.append(EmailEvent(delivery.complained_at, "complained", what))
    if ambassador_id:
        from .models import Unsubscribe

        for unsubscribe in Unsubscribe.objects.filter(ambassador_id=ambassador_id).order_by("-created_at", "-pk")[
            :limit
        ]:
            events.append(EmailEvent(unsubscribe.created_at, "unsubscribed", unsubscribe.get_category_display()))
    return sorted(events, key=lambda event: event.at, reverse=True)[:limit]


def invited_event_ids(ambassador_id: int) -> set[int]:
    """The events a person has been sent an invitation to (not the coordinator's test copies)."""
    return set(
        Delivery.objects.filter(
            ambassador_id=ambassador_id, is_test=False, campaign__event__isnull=False, status=Delivery.Status.SENT
        ).values_list("campaign__event_id", flat=True)
    )


def newsletter_results(*, limit: int = 6) -> list[dict]:
    """The last `limit` newsletters sent, newest first, each with what happened to its messages (test copies left
    out): [{"pk", "name", "finished_at", "sent", "delivered", "bounced", "complained", "opened", "clicked",
    "unsubscribed"}]. One query on the campaigns alone: the counts are kept on each campaign as they change
    (Campaign.sent_count …), so the cost does not grow with the recipients."""
    names = ["sent", "delivered", "bounced", "complained", "opened", "clicked", "unsubscribed"]
    return list(
        Campaign.objects.filter(kind=Campaign.Kind.NEWSLETTER, status=Campaign.Status.SENT)
        .order_by(F("finished_at").desc(nulls_last=True), "-pk")
        .values("pk", "name", "finished_at", **{name: F(f"{name}_count") for name in names})[:limit]
    )


def campaigns_with_row_counts(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Each campaign with `rows_sent` and `rows_failed` (not test copies), counted in the database: for lists."""

    def count(status: str):
        rows = Delivery.objects.filter(campaign=OuterRef("pk"), is_test=False, status=status)
        return Coalesce(Subquery(rows.values("campaign").annotate(n=Count("pk")).values("n")), 0)

    return campaigns.annotate(rows_sent=count(Delivery.Status.SENT), rows_failed=count(Delivery.Status.FAILED))


def campaign_failed_rows(campaign: Campaign, limit: int = 200) -> QuerySet[Delivery]:
    return campaign.deliveries.filter(status=Delivery.Status.FAILED).order_by("to_email")[:limit]


def campaign_recipients(campaign: Campaign) -> QuerySet[Ambassador]:
    """Whom the campaign goes to: the people of its rows once fanned out, else everyone its audience reaches now."""
    if campaign.fanned_out_at is not None:
        rows = Delivery.objects.filter(campaign=campaign, is_test=False, ambassador__isnull=False)
        return Ambassador.objects.filter(pk__in=rows.values("ambassador_id"))
    return audience(campaign.segment, campaign.kind).recipients


def campaign_recipient_count(campaign: Campaign) -> int:
    return campaign_recipients(campaign).count()


@dataclass
class RecipientMatches:
    """A page of the campaign's recipients that match a search, and how many match in all."""

    people: list[Ambassador]
    total: int


def campaign_recipients_matching(campaign: Campaign, *, query: str = "", limit: int = 20) -> RecipientMatches:
    """The campaign's recipients whose name or email address holds every word of `query` (all of them without
    one), in name order, at most `limit`; for the preview as a chosen recipient."""
    matching = campaign_recipients(campaign)
    for word in query.split()[:5]:
        matching = matching.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    matching = matching.order_by("first_name", "last_name", "pk")
    return RecipientMatches(people=list(matching[:limit]), total=matching.count())


def sequences_active() -> QuerySet[Sequence]:
    """The sequences switched on: the only ones anybody is put through."""
    return Sequence.objects.filter(is_active=True)


def sequence_active(slug: str) -> Sequence | None:
    """The sequence with this key ("onboarding"), when it is switched on."""
    return sequences_active().filter(slug=slug).first()


ALL_ACTIVE_NAME = "Alla aktiva ambassadörer"  # the audience an event's "Invite" makes for everyone


def segment_is_everyone(segment: Segment) -> bool:
    """A segment without any choice reaches every active ambassador (see segment_members)."""
    return not (
        segment.statuses
        or segment.member_since_from
        or segment.member_since_to
        or segment.received_id
        or segment.not_received_id
        or segment.completed_training_id
        or segment.localities.exists()
        or segment.interests.exists()
    )


def segments_for_choice() -> list[Segment]:
    """The saved audiences, by name, for the coordinator to choose among; not the one "Invite" makes for every
    active ambassador (offered as a choice of its own)."""
    return [
        segment
        for segment in Segment.objects.order_by("name", "pk")
        if segment.name != ALL_ACTIVE_NAME or not segment_is_everyone(segment)
    ]


def event_invited_ids(event_id: int) -> set[int]:
    """The ambassadors sent an invitation to the event (its campaigns' messages that went out; not the
    coordinator's test copies): one query."""
    return set(
        Delivery.objects.filter(
            campaign__event_id=event_id, is_test=False, status=Delivery.Status.SENT, ambassador__isnull=False
        ).values_list("ambassador_id", flat=True)
    )
