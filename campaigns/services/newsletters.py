"""Newsletters and invitations: schedule, fan out to one Delivery per recipient, pause, resume, cancel; and
the recipients' own say: unsubscribe and preferences."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from network.models import Ambassador

from ..emails import UNSUBSCRIBE_PLACEHOLDER, campaign_templates
from ..merge import merge_fields_unknown
from ..models import Campaign, Delivery, Unsubscribe
from ..selectors import PREFERENCE, audience
from .outbox import campaign_finish_if_done, deliveries_enqueue, tasks_publish

START_DUE_CAMPAIGNS = "campaigns.tasks.start_due_campaigns"


class CampaignError(Exception):
    pass


def campaign_checklist(campaign: Campaign) -> list[tuple[str, bool]]:
    """What must hold before a campaign may be sent, as (label, ok) pairs for the confirmation page."""
    count = audience(campaign.segment, campaign.kind).recipients.count()
    unknown = merge_fields_unknown(f"{campaign.subject} {campaign.body}")
    _subject, text, html = campaign_templates(campaign.pk, campaign.updated_at, "sv")
    link = UNSUBSCRIBE_PLACEHOLDER
    return [
        (_("The subject is set"), bool(campaign.subject.strip())),
        (_("The email has an unsubscribe link"), link in text and f'href="{link}"' in html),
        (
            _("All merge fields are known") if not unknown else _("Unknown merge fields: %s") % ", ".join(unknown),
            not unknown,
        ),
        *(_invitation_checks(campaign, text, html) if campaign.kind == Campaign.Kind.INVITATION else []),
        (ngettext("%(count)d recipient", "%(count)d recipients", count) % {"count": count}, count > 0),
        (_("Sender address configured: %s") % settings.DEFAULT_FROM_EMAIL, "@" in settings.DEFAULT_FROM_EMAIL),
    ]


def _invitation_checks(campaign: Campaign, text: str, html: str) -> list[tuple[str, bool]]:
    """An invitation answers an event: each recipient's email carries their own RSVP link ({{ rsvp_url }})."""
    link = "{{ rsvp_url }}"
    return [
        (_("The invitation is for an event"), campaign.event_id is not None),
        (_("The email has an RSVP link ({{ rsvp_url }})"), link in text and f'href="{link}"' in html),
    ]


def campaign_schedule(*, campaign: Campaign, at: datetime | None = None, now: datetime | None = None) -> None:
    """Schedule (or, without `at`, send now). Only a draft can be scheduled, so nobody sends it twice."""
    now = now or timezone.now()
    if not all(ok for _label, ok in campaign_checklist(campaign)):
        raise CampaignError("checklist")
    updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=at or now
    )
    if not updated:
        raise CampaignError("not a draft")
    if at is None or at <= now:
        transaction.on_commit(lambda: tasks_publish(START_DUE_CAMPAIGNS, ()), robust=True)


def campaigns_start_due(*, now: datetime | None = None) -> int:
    """The beat task: start every scheduled campaign whose time has come (a conditional update claims each), then
    fan out every started campaign that is not fanned out yet (also one whose fan-out a crash cut short), and
    finish those whose rows are all done (also one whose last batch ended while it was paused)."""
    now = now or timezone.now()
    due = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, scheduled_at__lte=now).values_list("pk", flat=True)
    started = sum(
        Campaign.objects.filter(pk=pk, status=Campaign.Status.SCHEDULED).update(
            status=Campaign.Status.SENDING, started_at=now
        )
        for pk in list(due)
    )
    unfinished = Campaign.objects.filter(status=Campaign.Status.SENDING, fanned_out_at__isnull=True)
    for pk in list(unfinished.values_list("pk", flat=True)):
        campaign_fan_out(campaign_id=pk)
    for pk in Campaign.objects.filter(status=Campaign.Status.SENDING).values_list("pk", flat=True):
        campaign_finish_if_done(pk)
    return started


ANALYZE_AFTER = 1000  # rows a fan-out queues before it refreshes the table's planner statistics


def campaign_fan_out(*, campaign_id: int, chunk: int = 2000) -> int:
    """One Delivery per recipient, all in one transaction that ends by marking the campaign fanned out, so a
    crash at any line leaves either every row or none, and the next beat run starts over. The campaign row is
    locked (SKIP LOCKED), so two runs never fan out the same campaign at once; rows are unique per campaign and
    person, so running it again adds nobody. Enqueues the rows once committed. Returns how many were queued."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(pk=campaign_id, status__in=[Campaign.Status.SENDING, Campaign.Status.PAUSED])
            .filter(fanned_out_at__isnull=True)
            .first()
        )
        if campaign is None:  # fanned out already, being fanned out by another worker, or cancelled
            return 0
        reached = audience(campaign.segment, campaign.kind)
        name_length = Delivery._meta.get_field("to_name").max_length  # one long name must not fail the insert
        rows = reached.recipients.values_list("pk", "email", "first_name", "last_name", "language").order_by("pk")
        batch = []
        for pk, address, first, last, language in rows.iterator(chunk_size=chunk):
            batch.append(
                Delivery(
                    template="campaign",
                    campaign=campaign,
                    ambassador_id=pk,
                    to_email=address,
                    to_name=f"{first} {last}".strip()[:name_length],
                    language=language,
                )
            )
            if len(batch) >= chunk:
                Delivery.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        Delivery.objects.bulk_create(batch, ignore_conflicts=True)
        queued = campaign_enqueue(campaign)  # published once this transaction commits
        if queued >= ANALYZE_AFTER and connection.vendor == "postgresql":
            # Statistics that know these rows, before the first claim. With the old ones (few rows queued) PostgreSQL
            # claims through the index of pending rows and reads every queued row for each claim of 50: 28 ms a
            # claim at 100,000 rows, until autovacuum gets round to the table. ANALYZE samples, so it stays short.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Delivery._meta.db_table}")
        Campaign.objects.filter(pk=campaign.pk).update(
            fanned_out_at=timezone.now(),
            skipped_no_email=reached.no_email,
            skipped_unsubscribed=reached.unsubscribed,
            skipped_suppressed=reached.suppressed,
        )
    campaign_finish_if_done(campaign.pk)  # an audience that is empty by now
    return queued


def campaign_enqueue(campaign: Campaign) -> int:
    """Publish the campaign's queued rows once the caller's transaction commits."""
    ids = list(
        Delivery.objects.filter(campaign=campaign, status=Delivery.Status.QUEUED, is_test=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    deliveries_enqueue(ids)
    return len(ids)


def campaign_pause(*, campaign: Campaign) -> bool:
    """Stop sending: queued rows stay queued (workers skip them) until resumed."""
    return bool(
        Campaign.objects.filter(pk=campaign.pk, status__in=[Campaign.Status.SENDING, Campaign.Status.SCHEDULED]).update(
            status=Campaign.Status.PAUSED
        )
    )


def campaign_resume(*, campaign: Campaign) -> bool:
    """Carry on: a campaign paused before it started goes back to its schedule; one paused half-way re-enqueues
    what is still queued (claims make anything already in the broker harmless)."""
    resumed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.PAUSED, started_at__isnull=True).update(
        status=Campaign.Status.SCHEDULED
    )
    if resumed:  # the fan-out runs in a worker, never inside the coordinator's request
        transaction.on_commit(lambda: tasks_publish(START_DUE_CAMPAIGNS, ()), robust=True)
        return True
    with transaction.atomic():
        resumed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.PAUSED).update(
            status=Campaign.Status.SENDING
        )
        if resumed:
            campaign_enqueue(campaign)
    if resumed:  # every row may have been sent while it was paused
        campaign_finish_if_done(campaign.pk)
    return bool(resumed)


def campaign_cancel(*, campaign: Campaign) -> bool:
    cancelled = Campaign.objects.filter(
        pk=campaign.pk,
        status__in=[Campaign.Status.DRAFT, Campaign.Status.SCHEDULED, Campaign.Status.SENDING, Campaign.Status.PAUSED],
    ).update(status=Campaign.Status.CANCELLED, finished_at=timezone.now())
    if cancelled:
        Delivery.objects.filter(campaign=campaign, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SKIPPED, last_error="cancelled"
        )
    return bool(cancelled)


def campaign_send_test(*, campaign: Campaign, to_email: str, to_name: str) -> Delivery:
    """A copy to the coordinator, filled with their own name; it is not part of the campaign's counts."""
    delivery = Delivery.objects.create(
        template="campaign", campaign=campaign, is_test=True, to_email=to_email, to_name=to_name or to_email
    )
    deliveries_enqueue([delivery.pk])
    return delivery


# Unsubscribe and preferences ---------------------------------------------------------------------------------


def ambassador_unsubscribe(*, ambassador_id: int, kind: str, source: str, campaign: Campaign | None = None) -> bool:
    """Stop this kind of mail for the person; recorded with time and source. False if already unsubscribed."""
    field = PREFERENCE[kind]
    with transaction.atomic():
        changed = Ambassador.objects.filter(pk=ambassador_id, **{field: True}).update(**{field: False})
        if changed:
            Unsubscribe.objects.create(ambassador_id=ambassador_id, category=kind, source=source, campaign=campaign)
            if campaign is not None:  # the campaign's count, for the dashboard (Campaign.unsubscribed_count)
                Campaign.objects.filter(pk=campaign.pk).update(unsubscribed_count=F("unsubscribed_count") + 1)
    return bool(changed)


def preferences_set(*, ambassador: Ambassador, newsletters: bool, invitations: bool) -> None:
    with transaction.atomic():
        for kind, wanted in ((Campaign.Kind.NEWSLETTER, newsletters), (Campaign.Kind.INVITATION, invitations)):
            if not wanted:
                ambassador_unsubscribe(ambassador_id=ambassador.pk, kind=kind, source=Unsubscribe.Source.PREFERENCES)
        Ambassador.objects.filter(pk=ambassador.pk).update(wants_newsletters=newsletters, wants_invitations=invitations)


# Taking back and copying ---------------------------------------------------------------------------------------


def campaign_may_unschedule(campaign: Campaign) -> bool:
    """Whether the campaign can go back to draft (campaign_unschedule): scheduled, or paused before it started."""
    return campaign.status in (Campaign.Status.SCHEDULED, Campaign.Status.PAUSED) and campaign.started_at is None


def campaign_may_delete(campaign: Campaign) -> bool:
    """Whether the campaign may be deleted: a draft, or one cancelled before it started. One that has been (or is
    being, or is scheduled to be) sent is a record of what people got; a scheduled one goes back to draft first."""
    if campaign.status == Campaign.Status.DRAFT:
        return True
    return campaign.status == Campaign.Status.CANCELLED and campaign.started_at is None


def campaign_unschedule(*, campaign: Campaign) -> bool:
    """A scheduled campaign (or one paused before it started) back to draft, to be edited and scheduled again.
    Nothing has been fanned out yet; the conditional update loses to the beat task if that has started it."""
    return bool(
        Campaign.objects.filter(
            pk=campaign.pk,
            status__in=[Campaign.Status.SCHEDULED, Campaign.Status.PAUSED],
            started_at__isnull=True,
            fanned_out_at__isnull=True,
        ).update(status=Campaign.Status.DRAFT, scheduled_at=None)
    )


def campaign_duplicate(*, campaign: Campaign) -> Campaign:
    """A new draft with the same content and audience, named "Copy of …"."""
    name_length = Campaign._meta.get_field("name").max_length
    return Campaign.objects.create(
        name=(_("Copy of %(name)s") % {"name": campaign.name})[:name_length],
        kind=campaign.kind,
        subject=campaign.subject,
        preheader=campaign.preheader,
        body=campaign.body,
        segment=campaign.segment,
    )
