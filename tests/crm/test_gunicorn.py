"""gunicorn as the Docker image and docker-compose.yml start it. gunicorn.conf.py (read from the folder gunicorn
starts in) gives it several workers and a timeout that fits an import in the admin, and runs Django's system
checks first: gunicorn itself runs none, so a configuration error would otherwise only show in requests."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from .test_settings import PRODUCTION_HOST, production_environment

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_text() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def dockerfile_cmd() -> list[str]:
    return json.loads(re.search(r"^CMD (\[.*\])$", dockerfile_text(), re.MULTILINE)[1])


def dockerfile_env(name: str) -> str:
    return re.search(rf"\b{name}=(\S+)", dockerfile_text())[1]


def compose_web_command() -> list[str]:
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]["web"]["command"]
    return command if isinstance(command, list) else command.split()


COMMANDS = {"Dockerfile CMD": dockerfile_cmd(), "compose web": compose_web_command()}


def gunicorn(command: list[str], *extra: str) -> list[str]:
    """The command as written, with our Python (the image has gunicorn on its PATH) and a free local port."""
    assert command[0] == "gunicorn", command
    arguments = list(command[1:])
    if "--bind" in arguments:
        del arguments[arguments.index("--bind") : arguments.index("--bind") + 2]
    return [sys.executable, "-m", "gunicorn", *arguments, *extra]


def image_environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    return production_environment(tmp_path, WEB_CONCURRENCY=dockerfile_env("WEB_CONCURRENCY"), **variables)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_gunicorn_runs_several_workers_with_a_timeout_that_fits_an_import(tmp_path, command):
    result = subprocess.run(
        gunicorn(command, "--bind", "127.0.0.1:0", "--print-config"),
        cwd=ROOT,
        env=image_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.MULTILINE))
    assert config["config"].endswith("gunicorn.conf.py")
    assert int(config["workers"]) >= 2
    assert int(config["timeout"]) >= 300


def test_gunicorn_refuses_to_start_when_a_system_check_fails(tmp_path):
    # Tracking webhooks routed (the backend is Postmark's) without ANYMAIL_WEBHOOK_SECRET: campaigns.E001.
    environment = image_environment(tmp_path, EMAIL_BACKEND="anymail.backends.postmark.EmailBackend")
    result = subprocess.run(
        gunicorn(dockerfile_cmd(), "--bind", f"127.0.0.1:{free_port()}"),
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "campaigns.E001" in result.stderr, result.stderr
    assert "Booting worker" not in result.stderr


def test_gunicorn_starts_its_workers_and_answers_when_the_checks_pass(tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            gunicorn(dockerfile_cmd(), "--bind", f"127.0.0.1:{port}"),
            cwd=ROOT,
            env=image_environment(tmp_path),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": PRODUCTION_HOST})
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                urllib.request.urlopen(request, timeout=5)
                raise AssertionError("healthy without a migrated database, a worker and beat")
            except urllib.error.HTTPError as error:
                assert error.code == 503  # it answers, and says the system is not healthy yet
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        deadline = time.monotonic() + 30
        while log.read_text().count("Booting worker") < int(dockerfile_env("WEB_CONCURRENCY")):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert "System check identified no issues" in log.read_text()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
