"""`manage.py rundev` (what `make run` ends with): web server, Celery worker and beat together. It prints the
URL only once the server listens, and exits non-zero when one of the three fails to start or stops."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from .test_settings import clean_environment

ROOT = Path(__file__).resolve().parents[2]
URL_LINE = "Web: http://"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def development_environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    return clean_environment(tmp_path / "var", DJANGO_DEBUG="1", PYTHONUNBUFFERED="1", **variables)


def rundev(port: int, environment: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "rundev", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches it
    )


def stop_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # any child left behind
        except ProcessLookupError:
            pass


def test_a_busy_port_makes_rundev_fail_without_printing_the_url(tmp_path):
    with socket.socket() as occupier:
        occupier.bind(("127.0.0.1", 0))
        occupier.listen()
        port = occupier.getsockname()[1]
        process = rundev(port, development_environment(tmp_path))
        try:
            stdout, stderr = process.communicate(timeout=120)
        finally:
            stop_group(process)

    assert process.returncode != 0
    assert URL_LINE not in stdout and "/admin/mailbox/" not in stdout
    assert f"Port {port}" in stderr and "in use" in stderr, stderr


def test_a_process_that_fails_to_start_stops_the_others_and_rundev_fails(tmp_path):
    port = free_port()
    # An unknown broker transport: the worker and beat cannot start; the web server could.
    process = rundev(port, development_environment(tmp_path, CELERY_BROKER_URL="no-such-transport://"))
    try:
        _stdout, stderr = process.communicate(timeout=180)
    finally:
        stop_group(process)

    assert process.returncode != 0
    assert "worker" in stderr.splitlines()[-1] or "beat" in stderr.splitlines()[-1], stderr
    time.sleep(0.5)
    assert not listening(port), "the web server was left running"


def test_rundev_prints_the_url_once_the_server_listens_and_ctrl_c_stops_all_three_with_status_0(tmp_path):
    port = free_port()
    process = rundev(port, development_environment(tmp_path))
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                assert time.monotonic() < deadline, "no URL printed"
                continue
            if URL_LINE in line:
                assert listening(port), "the URL was printed before the server listened"
                assert f"http://127.0.0.1:{port}/admin/" in line
                break

        time.sleep(2)  # let the worker and beat finish starting
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        assert process.wait(timeout=60) == 0, process.stderr.read()
    finally:
        stop_group(process)
    assert not listening(port)
