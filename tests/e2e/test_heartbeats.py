"""A real Celery worker and a real beat write their heartbeats, and /healthz turns healthy once both are seen."""

from __future__ import annotations

import subprocess
import sys
import time

from crm.models import Heartbeat

from .conftest import ROOT


def test_a_real_worker_and_beat_each_write_their_heartbeat(celery_worker, worker_env, tmp_path, client):
    assert set(Heartbeat.objects.values_list("name", flat=True)) == {"worker"}  # at the worker's start
    assert client.get("/healthz").json()["problems"] == {"beat": "Celery beat, the scheduler, has never been seen"}

    log = (tmp_path / "beat.log").open("w")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "beat", "--loglevel=INFO", "-s", str(tmp_path / "schedule")],
        cwd=ROOT,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not Heartbeat.objects.filter(name="beat").exists():
            assert beat.poll() is None, (tmp_path / "beat.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "beat.log").read_text()
            time.sleep(0.2)
    finally:
        beat.terminate()
        beat.wait(timeout=30)

    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
