"""The Celery application. Tasks carry ids only; the database decides what has been done."""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler
from celery.signals import task_postrun, task_prerun, worker_init
from django.db import close_old_connections, connections

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


def heartbeat(name: str) -> None:
    """crm.health's heartbeat from a worker's main process or beat, closing the connection after: the worker forks
    its pool, which must not inherit an open one, and neither needs one between beats."""
    from .health import heartbeat as record

    try:
        record(name)
    finally:
        connections.close_all()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """The worker's main process writes its heartbeat (crm.health) every HEARTBEAT_SECONDS on its own timer, whether
    or not its pool is busy with tasks."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_entry = None

    def start(self, worker) -> None:
        from .health import HEARTBEAT_SECONDS

        heartbeat("worker")
        self.timer_entry = worker.timer.call_repeatedly(HEARTBEAT_SECONDS, heartbeat, ("worker",))

    def stop(self, worker) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()


app.steps["worker"].add(WorkerHeartbeat)


class BeatScheduler(PersistentScheduler):
    """Celery beat's scheduler (settings.CELERY_BEAT_SCHEDULER): the schedule kept in a file, as by default, and
    beat's heartbeat (crm.health) written every HEARTBEAT_SECONDS between the tasks it sends."""

    next_heartbeat = 0.0

    def tick(self, *args, **kwargs) -> float:
        from .health import HEARTBEAT_SECONDS

        if time.monotonic() >= self.next_heartbeat:
            heartbeat("beat")
            self.next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS
        return min(super().tick(*args, **kwargs), HEARTBEAT_SECONDS)
