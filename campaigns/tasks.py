"""Celery tasks: fetch ids, call a service. acks_late so a lost worker's message is redelivered; the services'
claims make a second run harmless. The services publish these by name (campaigns.services.outbox.tasks_publish),
so that nothing in the services imports this module."""

from __future__ import annotations

from celery import shared_task

from .services.digest import coordinator_digest_queue, follow_ups_due_queue
from .services.newsletters import campaigns_start_due
from .services.outbox import deliveries_send, deliveries_sweep
from .services.sequences import enrollments_advance
from .services.tracking import tracking_event_process


@shared_task(acks_late=True, ignore_result=True)
def send_deliveries(ids: list[int]) -> None:
    for delivery_id, delay in deliveries_send(ids):
        send_deliveries.apply_async(([delivery_id],), countdown=delay)


@shared_task(acks_late=True, ignore_result=True)
def sweep_deliveries() -> None:
    deliveries_sweep()


@shared_task(acks_late=True, ignore_result=True)
def advance_enrollments() -> None:
    enrollments_advance()


@shared_task(acks_late=True, ignore_result=True)
def send_coordinator_digest() -> None:
    coordinator_digest_queue()
    follow_ups_due_queue()  # and each owner's own follow-ups


@shared_task(acks_late=True, ignore_result=True)
def start_due_campaigns() -> None:
    campaigns_start_due()


@shared_task(acks_late=True, ignore_result=True)
def process_tracking_event(event_id: int) -> None:
    tracking_event_process(event_id)
