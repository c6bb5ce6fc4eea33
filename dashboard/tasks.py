"""Celery tasks of the dashboard: the monthly report (beat, every day at 08:00; it sends on the first weekday)."""

from __future__ import annotations

from celery import shared_task

from .report import monthly_report_queue


@shared_task
def monthly_report() -> int | None:
    """Queue the coordinator's monthly report when today is the first weekday of the month (once per month)."""
    delivery = monthly_report_queue()
    return delivery.pk if delivery else None
