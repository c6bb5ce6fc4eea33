"""Celery: the embedded filesystem broker by default, and a real worker executing a task through it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def clean_environment(var_dir: Path, **variables: str) -> dict[str, str]:
    """A development environment built from scratch: no CELERY_BROKER_URL, nothing inherited from pytest or CI."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DJANGO_DEBUG": "1",
        "VAR_DIR": str(var_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    environment.update(variables)
    return environment


def run_python(code: str, environment: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout
    )


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the worker's process group (main process and pool children), SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def test_without_a_broker_url_celery_uses_the_filesystem_broker_under_var_dir(tmp_path):
    result = run_python(
        "import json; from crm.celery import app;"
        " print(json.dumps([app.conf.broker_url, app.conf.broker_transport_options]))",
        clean_environment(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    broker_url, options = json.loads(result.stdout.strip().splitlines()[-1])
    assert broker_url == "filesystem://"
    folders = [Path(options[key]) for key in ("data_folder_in", "data_folder_out", "control_folder")]
    for folder in folders:
        assert folder.is_relative_to(tmp_path), folder
        assert folder.is_dir(), f"{folder} was not created when the app was configured"
    assert options["data_folder_in"] == options["data_folder_out"]


def test_the_production_broker_comes_from_celery_broker_url(tmp_path):
    result = run_python(
        "import json; from crm.celery import app;"
        " print(json.dumps([app.conf.broker_url, app.conf.broker_transport_options]))",
        clean_environment(tmp_path, CELERY_BROKER_URL="redis://redis.invalid:6379/0"),
    )
    assert result.returncode == 0, result.stderr
    # A short connect timeout, so a request that publishes while Redis is down gives up at once.
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "redis://redis.invalid:6379/0",
        {"socket_connect_timeout": 0.5},
    ]
    assert not (tmp_path / "broker").exists()


def test_a_real_worker_on_the_filesystem_broker_executes_a_published_task(tmp_path):
    environment = clean_environment(tmp_path)
    token = f"token-{uuid.uuid4().hex}"
    log_path = tmp_path / "worker.log"
    deadline = time.monotonic() + 20
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "crm", "worker", "--loglevel=INFO", "--concurrency=1"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches the pool's children too
        )
    try:
        # A separate publisher process with the same environment, as the web server would be. celery.accumulate
        # is built into Celery (it returns its arguments), so the test needs no task of the project's own.
        published = run_python(
            f"from crm.celery import app; print(app.send_task('celery.accumulate', args=[{token!r}]).id)",
            environment,
            timeout=15,
        )
        assert published.returncode == 0, published.stderr
        task_id = published.stdout.strip().splitlines()[-1]

        expected = f"Task celery.accumulate[{task_id}] succeeded"
        while time.monotonic() < deadline:
            output = log_path.read_text(errors="replace")
            if expected in output:
                break
            assert worker.poll() is None, f"the worker exited early:\n{output}"
            time.sleep(0.2)
        else:
            raise AssertionError(
                f"the worker did not run the task within 20 s:\n{log_path.read_text(errors='replace')}"
            )
        assert token in output
    finally:
        stop(worker)
    assert worker.returncode is not None
