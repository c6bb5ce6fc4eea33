"""Celery tasks of the project: the nightly retention job."""

from __future__ import annotations

from celery import shared_task

from .retention import retention_run as run


@shared_task
def retention_run() -> dict:
    """Erase or anonymise what has passed its retention limit; returns the counts per category."""
    return run().counts
