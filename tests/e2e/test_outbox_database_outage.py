"""PostgreSQL stopped for 10 seconds in the middle of a send: nothing is lost and nothing goes out twice.

The test runs its own PostgreSQL cluster (initdb and pg_ctl on a free port, as the postgres user), never the
shared one, and points a real worker at it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from campaigns.services import outbox
from tests.e2e.conftest import ROOT, Worker
from tests.smtp import free_port


def pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    runuser = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*runuser, *command], check=True, capture_output=True, text=True, **kwargs)


pytestmark = pytest.mark.skipif(
    pg_bin() is None or (os.geteuid() == 0 and shutil.which("runuser") is None),
    reason="needs PostgreSQL's server binaries (initdb, pg_ctl) to run a private cluster",
)


class Cluster:
    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/outage"

    def pg_ctl(self, *args: str) -> None:
        as_postgres(str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-w", *args)

    def create(self) -> Cluster:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        as_postgres(str(pg_bin() / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        as_postgres(str(pg_bin() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "outage")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("-o", options, "-l", str(self.folder / "log"), "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "stop")


def manage(env: dict, *args: str, script: str | None = None) -> str:
    command = [sys.executable, "manage.py", *args] + (["--no-imports", "-c", script] if script else [])
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


QUEUE = """
from campaigns.models import Delivery
rows = Delivery.objects.bulk_create(
    [Delivery(template="already_ambassador", to_email=f"p{i}@example.se", context={"first_name": "P"})
     for i in range(60)])
print(",".join(str(row.pk) for row in rows))
"""
COUNT = """
from campaigns.models import Delivery
print(Delivery.objects.filter(status="sent").count())
"""
SWEEP = "from campaigns.services.outbox import deliveries_sweep; deliveries_sweep()"


def test_the_database_stopped_for_ten_seconds_mid_send_loses_nothing_and_sends_nothing_twice(
    worker_env, tmp_path, smtp_server
):
    # Its own folder under /tmp: pytest's tmp_path is private to root, where the postgres user cannot enter.
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="outage-"))).create()
    env = worker_env | {
        "DATABASE_URL": cluster.url,
        "EMAIL_RATE_PER_MINUTE": "240",  # 60 messages take 15 s: the outage falls in the middle
        "EMAIL_BATCH_SIZE": "20",
        "EMAIL_SENDING_LEASE_SECONDS": "60",
        "EMAIL_SWEEP_GRACE_SECONDS": "2",
    }
    worker = None
    try:
        manage(env, "migrate", "--no-input")
        ids = [int(pk) for pk in manage(env, "shell", script=QUEUE).strip().split(",")]
        worker = Worker(env, tmp_path / "worker.log").start()
        outbox.deliveries_publish(ids)
        inbox = smtp_server.recorder
        inbox.wait_for(12, timeout=60)
        cluster.stop()
        time.sleep(10)
        cluster.start()
        deadline = time.monotonic() + 120
        # The beat sweeper, every few seconds here, republishes whatever a failed task left queued.
        while int(manage(env, "shell", script=COUNT).strip()) < 60:
            assert time.monotonic() < deadline, f"only {inbox.count()} arrived:\n{worker.log.read_text()[-3000:]}"
            manage(env, "shell", script=SWEEP)
            time.sleep(3)
        time.sleep(2)  # anything sent twice would land now
    finally:
        if worker:
            worker.stop()
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(cluster.folder, ignore_errors=True)

    got = Counter(message["To"].addresses[0].addr_spec for message in inbox.messages)
    assert len(got) == 60  # nobody lost
    assert {address: n for address, n in got.items() if n > 1} == {}  # nobody twice
