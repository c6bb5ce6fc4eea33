"""Subprocesses of the benchmarks (SMTP sink, Celery workers, gunicorn) and the bench broker queue.

Every process started here is registered and stopped by `stop_all()`, which `python -m tests.bench` runs in a
`finally`, so nothing is left running after an error. Each runs in its own session (process group), so stopping
it also stops its children (gunicorn's workers).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .common import BASE_DIR, BENCH_DIR

_RUNNING: list[Service] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """A subprocess with its output in var/bench/<name>.log, ready when `ready` appears there or `port` answers."""

    def __init__(self, name: str, command: list[str], env: dict | None = None, *, ready: str = "", port: int = 0):
        self.name, self.command, self.env, self.ready, self.port = name, command, env, ready, port
        self.log = BENCH_DIR / f"{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60.0) -> Service:
        self.log.write_text("")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=BASE_DIR,
                env=self.env if self.env is not None else os.environ.copy(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _RUNNING.append(self)
        deadline = time.monotonic() + timeout
        while not self._is_ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start:\n{self.tail()}")
            time.sleep(0.05)
        return self

    def _is_ready(self) -> bool:
        if self.ready and self.ready not in self.log.read_text(errors="replace"):
            return False
        if self.port:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                return False
        return True

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def peak_mb(self) -> float:
        """VmHWM (peak resident memory) of the process, read while it still runs."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        else:
            # The leader is gone; make sure nothing it started lingers in its group.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self in _RUNNING:
            _RUNNING.remove(self)


def stop_all() -> None:
    for service in reversed(list(_RUNNING)):
        service.stop()


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def start_sink() -> tuple[Service, int]:
    port = free_port()
    sink = Service("sink", python("-m", "tests.bench.sink", str(port)), ready="ready", port=port).start()
    return sink, port


def worker_env(smtp_port: int, **extra: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_RATE_PER_MINUTE": "0",
        **extra,
    }


def start_worker(name: str, env: dict) -> Service:
    """A real `celery -A crm worker` process (solo pool: one process that does the work) on the bench queue."""
    command = python(
        "-m", "celery", "-A", "crm", "worker", "--pool=solo", "--loglevel=INFO", "--without-heartbeat",
        "--without-gossip", "--without-mingle", "-Q", env["CELERY_QUEUE"], "-n", f"{name}-{os.getpid()}@%h",
    )  # fmt: skip
    return Service(name, command, env, ready="ready.").start()


# The bench queue ----------------------------------------------------------------------------------------------


def queue_name() -> str:
    from django.conf import settings

    return settings.CELERY_TASK_DEFAULT_QUEUE


def broker_count() -> int:
    """Messages waiting in the bench queue (published and not consumed)."""
    from crm.celery import app

    with app.connection_for_write() as conn:
        try:
            return conn.default_channel.queue_declare(queue=queue_name(), passive=True).message_count
        except Exception:  # noqa: BLE001 - a queue nobody declared yet holds nothing
            return 0


def broker_purge() -> None:
    from crm.celery import app

    with app.connection_for_write() as conn:
        try:
            conn.default_channel.queue_purge(queue_name())
        except Exception:  # noqa: BLE001, S110 - nothing to purge
            pass
