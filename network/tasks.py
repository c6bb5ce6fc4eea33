"""Celery tasks of the network app."""

from __future__ import annotations

from celery import shared_task

from .importing import uploads_sweep


@shared_task
def sweep_import_uploads() -> int:
    """Delete uploaded member lists older than a day whose import was never confirmed (they hold personal data)."""
    return uploads_sweep()


@shared_task
def send_event_reminders() -> dict[str, int]:
    """The day before an event, a reminder to each yes; after it, the follow-up to each attendee. Exactly once
    each, however often this runs (network.events claims every row with a conditional UPDATE)."""
    from .events import event_follow_ups_send, event_reminders_send

    return {"reminders": event_reminders_send(), "follow_ups": event_follow_ups_send()}
