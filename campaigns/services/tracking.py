"""ESP tracking webhooks: django-anymail's tracking signal → a TrackingEvent row (stored once, at once),
processed by Celery: stamp the Delivery, suppress hard bounces and complaints, record unsubscribes."""

from __future__ import annotations

import hashlib

from anymail.signals import tracking
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.dispatch import receiver
from django.utils import timezone

from network.consent import PURPOSE_OF_KIND, consent_withdraw

from ..models import Campaign, Delivery, Suppression, TrackingEvent, Unsubscribe
from .newsletters import ambassador_unsubscribe
from .outbox import suppression_add, tasks_publish

TRACKED = {
    "delivered": "delivered_at",
    "bounced": "bounced_at",
    "complained": "complained_at",
    "opened": "opened_at",
    "clicked": "clicked_at",
}


def _permanent_bounce(esp: str, event) -> bool:
    """anymail reports soft and hard bounces alike as "bounced"; the ESP's own payload tells them apart."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp == "Postmark":
        return raw.get("Type") in ("HardBounce", "BadEmailAddress", "ManuallyDeactivated")
    if esp == "Amazon SES":
        return (raw.get("bounce") or {}).get("bounceType") == "Permanent"
    return True


def _text(value, limit: int) -> str:
    """An event attribute as storable text (campaigns.webhooks already refuses other types and NUL)."""
    return value.replace("\x00", "")[:limit] if isinstance(value, str) else ""


def event_key(event) -> str:
    """What makes an event the same event: the ESP's event id *and* the recipient, since one ESP event can
    concern several recipients (an SES bounce lists every bounced address under one SNS message id); without
    an event id, a digest of what the event says."""
    recipient = _text(event.recipient, 254).lower()
    if event.event_id:
        key = f"{_text(event.event_id, 200)}|{recipient}"
    else:
        key = f"{event.event_type}|{_text(event.message_id, 200)}|{recipient}|{event.timestamp}"
    return key if len(key) <= 200 and event.event_id else hashlib.sha256(key.encode()).hexdigest()


def tracking_event_record(*, esp: str, event) -> TrackingEvent | None:
    """Store an ESP event once per recipient (the same event twice counts once) and leave the work to Celery."""
    try:
        with transaction.atomic():
            record = TrackingEvent.objects.create(
                esp=esp,
                event_id=event_key(event),
                event_type=_text(event.event_type, 30) or "unknown",
                message_id=_text(event.message_id, 200),
                recipient=_text(event.recipient, 254),
                description=_text(event.description, 2000) or _text(event.mta_response, 2000),
                occurred_at=event.timestamp,
                permanent=_permanent_bounce(esp, event),
            )
    except IntegrityError:
        return None

    transaction.on_commit(lambda: tasks_publish("campaigns.tasks.process_tracking_event", (record.pk,)), robust=True)
    return record


def campaign_count_add(campaign_id: int, event_type: str) -> None:
    """One more delivered / bounced / complained / opened / clicked message on the campaign's counts (the dashboard
    reads them): called only when the delivery's time went from empty to set, so a repeated event counts once."""
    name = f"{event_type}_count"
    Campaign.objects.filter(pk=campaign_id).update(**{name: F(name) + 1})


def campaign_counts_recount(campaign_ids=None) -> int:
    """The campaigns' counts (all, or these) made again from their rows, as campaign_report counts them: for data
    that did not come through the services (an import of old campaigns, a repair). Returns how many campaigns."""
    campaigns = Campaign.objects.all() if campaign_ids is None else Campaign.objects.filter(pk__in=campaign_ids)
    counted = 0
    for campaign in campaigns.only("pk", "status"):
        rows = Delivery.objects.filter(campaign=campaign, is_test=False).aggregate(
            sent_count=Count("pk", filter=Q(status=Delivery.Status.SENT)),
            **{
                f"{kind}_count": Count("pk", filter=Q(**{f"{field}__isnull": False})) for kind, field in TRACKED.items()
            },
        )
        rows["unsubscribed_count"] = Unsubscribe.objects.filter(campaign=campaign).count()
        if campaign.status != Campaign.Status.SENT:
            rows["sent_count"] = 0  # counted when it finishes
        counted += Campaign.objects.filter(pk=campaign.pk).update(**rows)
    return counted


def tracking_event_process(event_id: int) -> None:
    """Apply a stored event: stamp the Delivery, suppress hard bounces and complaints, record unsubscribes."""
    with transaction.atomic():
        event = TrackingEvent.objects.select_for_update().filter(pk=event_id, processed=False).first()
        if event is None:
            return
        delivery = (
            Delivery.objects.filter(esp_message_id=event.message_id).select_related("campaign").first()
            if event.message_id
            else None
        )
        when = event.occurred_at or timezone.now()
        if delivery is not None and event.event_type in TRACKED:
            field = TRACKED[event.event_type]
            first = Delivery.objects.filter(pk=delivery.pk, **{f"{field}__isnull": True}).update(**{field: when})
            if first and delivery.campaign_id and not delivery.is_test:
                campaign_count_add(delivery.campaign_id, event.event_type)
        address = (event.recipient or (delivery.to_email if delivery else "")).lower()
        if address and event.event_type == "bounced" and event.permanent:
            suppression_add(email=address, reason=Suppression.Reason.HARD_BOUNCE, detail=event.description[:500])
        elif address and event.event_type == "complained":
            suppression_add(email=address, reason=Suppression.Reason.COMPLAINT, detail=event.esp)
        elif event.event_type == "unsubscribed" and delivery is not None and delivery.ambassador_id:
            kind = delivery.campaign.kind if delivery.campaign else Campaign.Kind.NEWSLETTER
            ambassador_unsubscribe(
                ambassador_id=delivery.ambassador_id,
                kind=kind,
                source=Unsubscribe.Source.ESP,
                campaign=delivery.campaign,
            )
            if delivery.ambassador is not None:
                consent_withdraw(
                    ambassador=delivery.ambassador, purpose=PURPOSE_OF_KIND[kind], source=Unsubscribe.Source.ESP
                )
        event.processed = True
        event.save(update_fields=["processed"])


@receiver(tracking, dispatch_uid="campaigns.tracking")
def on_tracking_event(sender, event, esp_name, **kwargs) -> None:
    tracking_event_record(esp=esp_name, event=event)
