"""django-anymail's tracking signal → our TrackingEvent rows (the webhook view answers at once)."""

from __future__ import annotations

from anymail.signals import tracking
from django.dispatch import receiver

from .services import tracking_event_record


@receiver(tracking, dispatch_uid="campaigns.tracking")
def on_tracking_event(sender, event, esp_name, **kwargs) -> None:
    tracking_event_record(esp=esp_name, event=event)
