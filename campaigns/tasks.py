"""Celery tasks: fetch ids, call a service. acks_late so a lost worker's message is redelivered; the services'
claims make a second run harmless."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def send_deliveries(ids: list[int]) -> None:
    for delivery_id, delay in services.deliveries_send(ids):
        send_deliveries.apply_async(([delivery_id],), countdown=delay)


@shared_task(acks_late=True, ignore_result=True)
def sweep_deliveries() -> None:
    services.deliveries_sweep()


@shared_task(acks_late=True, ignore_result=True)
def advance_enrollments() -> None:
    services.enrollments_advance()


@shared_task(acks_late=True, ignore_result=True)
def send_coordinator_digest() -> None:
    services.coordinator_digest_queue()
    services.follow_ups_due_queue()  # and each owner's own follow-ups


@shared_task(acks_late=True, ignore_result=True)
def start_due_campaigns() -> None:
    services.campaigns_start_due()


@shared_task(acks_late=True, ignore_result=True)
def process_tracking_event(event_id: int) -> None:
    services.tracking_event_process(event_id)
