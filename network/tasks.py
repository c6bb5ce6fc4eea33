"""Celery tasks of the network app."""

from __future__ import annotations

from celery import shared_task

from .importing import uploads_sweep


@shared_task
def sweep_import_uploads() -> int:
    """Delete uploaded member lists older than a day whose import was never confirmed (they hold personal data)."""
    return uploads_sweep()
