"""The Celery application. Tasks carry ids only; the database decides what has been done."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """The filesystem transport needs its folders before anyone publishes or consumes."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@app.on_after_configure.connect
def _on_after_configure(sender, **kwargs) -> None:
    ensure_broker_folders()


@worker_init.connect
def _worker_init(**kwargs) -> None:
    ensure_broker_folders()


@task_prerun.connect
@task_postrun.connect
def _database_connections(**kwargs) -> None:
    """Around each task as Django does around each request: a connection older than CONN_MAX_AGE, or one that
    failed, is closed; the others are kept (and checked before their next use, CONN_HEALTH_CHECKS)."""
    close_old_connections()
