"""The Dockerfile builds and its image starts, checked without a Docker engine (none runs here).

Its instructions are replayed on a copy of the build context, as Docker would: ENV and WORKDIR, COPY with the
.dockerignore rules into a root-owned /app, RUN as the user of that moment (root, then the image's `app`, played
by `nobody` through setpriv), and finally the CMD as that user. Not replayed: FROM (this test's Python stands in
for python:3.11-slim) and the pip steps (the pinned dependencies are installed here already).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.build_context import copy_context

ROOT = Path(__file__).resolve().parents[2]
HOST = "ambassador.kramfors.se"
# The image's unprivileged user, played by nobody (the image creates `app`; we cannot add users here).
STAND_IN = ("nobody", 65534, 65534)

SITE_PACKAGES = sysconfig.get_paths()["purelib"]
PROBE = "import django, gunicorn, json, psycopg, whitenoise"


def as_stand_in(command: list[str]) -> list[str]:
    _name, uid, gid = STAND_IN
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *command]


def interpreter() -> str | None:
    """A Python the unprivileged user can run with this project's dependencies: this one, or the system's own of
    the same version with our site-packages (an interpreter installed under /root is out of nobody's reach)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, shutil.which(version, path="/usr/local/bin:/usr/bin")):
        if candidate:
            probe = subprocess.run(
                as_stand_in(["sh", "-c", f'"{candidate}" -c "{PROBE}"']),
                env={"PATH": "/usr/bin:/bin", "PYTHONPATH": SITE_PACKAGES},
                cwd="/",
                capture_output=True,
            )
            if probe.returncode == 0:
                return candidate
    return None


PYTHON = interpreter()
pytestmark = pytest.mark.skipif(
    PYTHON is None, reason="needs root, setpriv and a Python that nobody may run, to play the image's users"
)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1].strip()) for text in logical]


class Image:
    """The build, replayed in a sandbox folder that stands for the image's root directory."""

    def __init__(self, sandbox: Path):
        self.sandbox = sandbox
        self.bin = sandbox / "usr-local-bin"
        self.bin.mkdir()
        # `python` and `gunicorn` as the image has them: the interpreter, with the dependencies after PYTHONPATH.
        for name, module in (("python", ""), ("gunicorn", " -m gunicorn")):
            script = self.bin / name
            script.write_text(
                f'#!/bin/sh\nPYTHONPATH="${{PYTHONPATH:+$PYTHONPATH:}}{SITE_PACKAGES}" exec "{PYTHON}"{module} "$@"\n'
            )
            script.chmod(0o755)
        self.env = {"PATH": f"{self.bin}:/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}
        self.workdir = sandbox
        self.user = "root"
        self.cmd: list[str] = []
        self.skipped: list[str] = []
        self.log: list[str] = []

    def path(self, value: str) -> str:
        """An absolute path of the image, inside the sandbox."""
        return re.sub(r"(?<![\w/])/app\b", str(self.sandbox / "app"), value)

    def run_as_user(self, command: list[str], **kwargs) -> subprocess.CompletedProcess:
        if self.user != "root":
            command = as_stand_in(command)
        return subprocess.run(command, env=self.env, cwd=self.workdir, capture_output=True, text=True, **kwargs)

    def build(self) -> None:
        handlers = {
            "FROM": self.from_,
            "ENV": self.env_,
            "WORKDIR": self.workdir_,
            "COPY": self.copy,
            "RUN": self.run,
            "USER": self.user_,
            "EXPOSE": self.expose,
            "CMD": self.cmd_,
        }
        for instruction, arguments in instructions():
            assert instruction in handlers, f"the test does not know {instruction}: teach it"
            handlers[instruction](arguments)

    def from_(self, arguments: str) -> None:
        self.skipped.append(f"FROM {arguments}")

    def env_(self, arguments: str) -> None:
        for pair in shlex.split(arguments):
            name, _equals, value = pair.partition("=")
            self.env[name] = self.path(value)

    def workdir_(self, arguments: str) -> None:
        self.workdir = Path(self.path(arguments))
        self.workdir.mkdir(parents=True, exist_ok=True)

    def copy(self, arguments: str) -> None:
        *sources, destination = shlex.split(arguments)
        target = (self.workdir / destination).resolve()
        target.mkdir(parents=True, exist_ok=True)
        copy_context(target, sources)

    def run(self, arguments: str) -> None:
        if re.search(r"\bpip\b", arguments):
            self.skipped.append(f"RUN {arguments}")
            return
        if "useradd" in arguments:
            # Creating the user is not possible here; the rest of the step (its folder and ownership) is replayed
            # for the stand-in.
            steps = [step for step in arguments.split("&&") if not re.search(r"\b(groupadd|useradd)\b", step)]
            arguments = " && ".join(steps).replace("app:app", f"{STAND_IN[1]}:{STAND_IN[2]}")
        result = self.run_as_user(["sh", "-c", arguments], timeout=300)
        self.log.append(f"RUN {arguments} (as {self.user}): exit {result.returncode}\n{result.stdout}{result.stderr}")
        assert result.returncode == 0, f"RUN {arguments} failed as {self.user}:\n{result.stdout}{result.stderr}"

    def user_(self, arguments: str) -> None:
        self.user = arguments.strip()

    def expose(self, arguments: str) -> None:
        pass

    def cmd_(self, arguments: str) -> None:
        self.cmd = json.loads(arguments)


@pytest.fixture(scope="module")
def image():
    sandbox = Path(tempfile.mkdtemp(prefix="image-", dir="/tmp"))
    sandbox.chmod(0o755)  # the unprivileged user must reach /app, as in an image
    built = Image(sandbox)
    try:
        built.build()
        yield built
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)


def owner(path: Path) -> int:
    return path.stat().st_uid


def test_the_build_runs_every_step_and_collects_the_static_files_into_a_root_owned_app(image):
    app = image.sandbox / "app"
    assert all(step.startswith("FROM") or re.search(r"\bpip\b", step) for step in image.skipped), image.skipped
    assert any("collectstatic" in entry for entry in image.log), image.log
    assert (app / "staticfiles" / "admin" / "css" / "base.css").is_file()
    assert (app / "manage.py").is_file() and (app / "gunicorn.conf.py").is_file()
    assert owner(app) == owner(app / "staticfiles") == owner(app / "crm" / "settings.py") == 0
    assert not (app / "tests").exists() and not (app / ".git").exists()
    assert not (app / ".env").exists()


def test_the_image_user_can_write_only_var(image):
    app = image.sandbox / "app"
    assert image.user == "app", "the image must not run as root"
    assert owner(app / "var") == STAND_IN[1]
    assert not (app.stat().st_mode & stat.S_IWOTH)
    probe = image.run_as_user(["sh", "-c", f"touch {app}/var/probe && ! touch {app}/probe 2>/dev/null"])
    assert probe.returncode == 0, probe.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_cmd_starts_as_the_image_user_and_serves_pages_and_static_files(image):
    port = free_port()
    command = list(image.cmd)
    assert command[:2] == ["gunicorn", "crm.wsgi"], command
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    image.env.update(
        {
            "DJANGO_SECRET_KEY": "a-long-random-production-secret-for-this-test-only-0123456789abcdef",
            "DJANGO_ALLOWED_HOSTS": HOST,
            "SITE_URL": f"https://{HOST}",
            "DJANGO_BEHIND_PROXY": "1",  # as in production: TLS ends at the proxy, which says so in a header
            "EMAIL_HOST": "smtp.kramfors.se",
        }
    )
    process = subprocess.Popen(
        as_stand_in(command),
        env=image.env,
        cwd=image.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        answers = {}
        for path in ("/healthz", "/static/admin/css/base.css"):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", headers={"Host": HOST, "X-Forwarded-Proto": "https"}
            )
            while path not in answers:
                assert process.poll() is None, process.stdout.read()
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        answers[path] = response.status
                except urllib.error.HTTPError as error:
                    answers[path] = error.code
                except OSError:
                    assert time.monotonic() < deadline, "gunicorn did not answer"
                    time.sleep(0.3)
        # Not migrated, no worker, no beat: the web server answers, and /healthz says the system is not healthy.
        assert answers == {"/healthz": 503, "/static/admin/css/base.css": 200}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
