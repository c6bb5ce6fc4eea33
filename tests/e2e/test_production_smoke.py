"""The production install, started as production runs it, sends one email end to end.

A fresh virtual environment on the image's Python (3.11) holds only `pip install .` of the build context (no dev
extras). migrate, then web, worker and beat with the commands of docker-compose.yml and the environment it gives
them, run as an unprivileged user (nobody, standing in for the image's `app`) whose home directory is the
root-owned project folder, against PostgreSQL and Redis. It proves: /healthz answers 200 (the database, the
broker, and the worker's and beat's heartbeats); a signup through the public form, as a browser behind the TLS
proxy sends it, brings the confirmation email to an SMTP server; beat runs its schedule (the worker runs the
sweeper beat sends); and no process logs an error or a traceback.

Run alone with `-s` to see what it proved: `pytest tests/e2e/test_production_smoke.py -s`.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from tests.build_context import ROOT, copy_context
from tests.smtp import SMTPServer, free_port

HOST = "ambassador.kramfors.se"
STAND_IN = (65534, 65534)  # nobody: the image's user `app` cannot be created here
BASE_PYTHON = shutil.which("python3.11", path="/usr/local/bin:/usr/bin")  # the image's Python, runnable by nobody
DATABASE_URL = os.environ.get("DATABASE_URL", "")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# A line no process of a healthy system writes.
TROUBLE = re.compile(r"\b(?:error|exception|traceback|critical)\b|Errno", re.IGNORECASE)

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("setpriv") or BASE_PYTHON is None,
        reason="needs root, setpriv and /usr/bin/python3.11, to run the install as an unprivileged user",
    ),
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres") or not BROKER_URL.startswith("redis"),
        reason="needs PostgreSQL and Redis (DATABASE_URL and CELERY_BROKER_URL, as .ci/run sets them)",
    ),
    pytest.mark.timeout(600),
]


def as_stand_in(command: list[str]) -> list[str]:
    uid, gid = STAND_IN
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *command]


def compose_command(service: str) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return list(compose["services"][service]["command"])


def psql(sql: str) -> None:
    server = urllib.parse.urlsplit(DATABASE_URL)._replace(path="/postgres").geturl()
    subprocess.run(["psql", server, "-q", "-c", sql], check=True, capture_output=True)


class Stack:
    """The production install in a root-owned folder, and the processes started from it."""

    origin = f"https://{HOST}"  # as the browser sees the site, behind the TLS proxy
    # What the TLS proxy in front adds to every request it passes on: the public host name, and that it was https.
    proxy_headers = {"Host": HOST, "X-Forwarded-Proto": "https"}

    def __init__(self, top: Path, smtp_port: int):
        self.top = top
        self.app = top / "app"
        self.var = top / "var"
        self.logs = top / "logs"
        self.port = free_port()
        self.database = f"smoke_{os.getpid()}"
        self.processes: dict[str, subprocess.Popen] = {}
        venv = top / "venv"
        self.env = {
            "PATH": f"{venv}/bin:/usr/bin:/bin",
            "HOME": str(self.app),  # root-owned, as /app in the image: nothing may need to write there
            "LANG": "C.UTF-8",
            # As the Dockerfile's ENV and docker-compose.yml's environment give them.
            "PYTHONPATH": str(self.app),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "crm.settings",
            "VAR_DIR": str(self.var),
            "WEB_CONCURRENCY": "2",
            "DJANGO_SECRET_KEY": "a-long-random-production-secret-for-this-test-only-0123456789abcdef",
            "DJANGO_ALLOWED_HOSTS": HOST,
            "SITE_URL": f"https://{HOST}",
            "DJANGO_BEHIND_PROXY": "1",
            "DATABASE_URL": urllib.parse.urlsplit(DATABASE_URL)._replace(path=f"/{self.database}").geturl(),
            "CELERY_BROKER_URL": BROKER_URL,
            "CACHE_URL": os.environ.get("CACHE_URL", BROKER_URL),
            "CELERY_QUEUE": f"smoke-{os.getpid()}",  # apart from the other tests' workers on the same Redis
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
        }

    def install(self) -> None:
        for folder in (self.app, self.logs):
            folder.mkdir(parents=True)
        copy_context(self.app, ["."])
        subprocess.run([BASE_PYTHON, "-m", "venv", str(self.top / "venv")], check=True)
        pip = [str(self.top / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        install = subprocess.run([*pip, "."], cwd=self.app, capture_output=True, text=True)
        assert install.returncode == 0, install.stdout + install.stderr
        shutil.rmtree(self.app / "build", ignore_errors=True)
        for leftover in self.app.glob("*.egg-info"):
            shutil.rmtree(leftover)
        self.var.mkdir()
        os.chown(self.var, *STAND_IN)
        for path in (self.top, self.top / "venv", self.logs):
            path.chmod(0o755)
        psql(f'CREATE DATABASE "{self.database}"')

    def run(self, name: str, command: list[str]) -> subprocess.CompletedProcess:
        result = subprocess.run(
            as_stand_in(command), cwd=self.app, env=self.env, capture_output=True, text=True, timeout=300
        )
        (self.logs / f"{name}.log").write_text(result.stdout + result.stderr)
        return result

    def start(self, name: str, command: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            as_stand_in(command),
            cwd=self.app,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def wait_until(self, what: str, condition, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited with {process.returncode}:\n{self.log(name)[-4000:]}"
            assert time.monotonic() < deadline, f"{what} did not happen in {timeout} s:\n" + "\n".join(
                f"--- {name}\n{self.log(name)[-2000:]}" for name in self.processes
            )
            time.sleep(0.5)


def request(stack, method: str, path: str, body: str = "", headers: dict | None = None):
    """A request to the stack's web server on loopback, as its proxy passes it on (stack.proxy_headers)."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers={**stack.proxy_headers, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def smtp():
    with SMTPServer() as server:
        yield server


@pytest.fixture(scope="module")
def stack(smtp):
    top = Path(tempfile.mkdtemp(prefix="production-", dir="/tmp"))
    stack = Stack(top, smtp_port=smtp.port)
    yield stack
    stack.stop()
    psql(f'DROP DATABASE IF EXISTS "{stack.database}" WITH (FORCE)')
    shutil.rmtree(top, ignore_errors=True)


def healthz(stack: Stack) -> tuple[int, str]:
    try:
        status, _headers, body = request(stack, "GET", "/healthz")
    except OSError as error:
        return 0, str(error)
    return status, body


def form_fields(page: str) -> dict[str, str]:
    """The signup form's hidden fields and the first place to live in, as a browser would send them."""
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    fields["locality"] = re.search(r'<select name="locality"[^>]*>.*?<option value="([^"]+)"', page, re.S)[1]
    return fields


def signup(stack: Stack, email_address: str) -> int:
    status, headers, page = request(stack, "GET", "/bli-ambassador/")
    assert status == 200, page[:2000]
    cookie = headers["Set-Cookie"].split(";", 1)[0]  # csrftoken=…; Secure, so a browser sends it back over https
    fields = {
        **form_fields(page),
        "first_name": "Åsa",
        "last_name": "Nordström",
        "email": email_address,
        "consent": "on",
    }
    time.sleep(3.2)  # a person takes longer than FORM_MIN_FILL_SECONDS  # a person takes longer than the minimum
    status, headers, page = request(
        stack,
        "POST",
        "/bli-ambassador/",
        urllib.parse.urlencode(fields),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Origin": stack.origin,
            "Referer": f"{stack.origin}/bli-ambassador/",
        },
    )
    assert status == 302, page[:3000]
    return status


def test_the_production_install_serves_sends_and_schedules_as_an_unprivileged_user(stack, smtp):
    stack.install()

    migrate = stack.run("migrate", compose_command("migrate"))
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    web = compose_command("web")
    web[web.index("--bind") + 1] = f"127.0.0.1:{stack.port}"
    stack.start("web", web)
    stack.start("worker", compose_command("worker"))
    stack.start("beat", compose_command("beat"))

    stack.wait_until("/healthz 200", lambda: healthz(stack)[0] == 200)
    health = healthz(stack)

    started = time.monotonic()
    # An address of this run's own: the per-address rate limit counts in the Redis that outlives a run.
    address = f"asa.nordstrom.{uuid.uuid4().hex[:8]}@example.se"
    signup(stack, address)
    stack.wait_until("the confirmation email", lambda: smtp.recorder.count() >= 1, timeout=60)
    confirmation = smtp.recorder.messages[0]
    took = time.monotonic() - started
    assert confirmation["To"] == f"Åsa Nordström <{address}>"
    body = confirmation.get_body(("plain",)).get_content()
    assert f"https://{HOST}/bekrafta/" in body

    # Beat sends the outbox sweeper every EMAIL_SWEEP_INTERVAL_SECONDS (15); the worker runs it.
    sweeps = re.compile(r"Task campaigns\.tasks\.sweep_deliveries\[[^]]+\] succeeded")
    stack.wait_until("a scheduled sweep", lambda: sweeps.search(stack.log("worker")) is not None, timeout=60)

    stack.stop()
    trouble = {
        name: [line for line in stack.log(name).splitlines() if TROUBLE.search(line)]
        for name in ("migrate", "web", "worker", "beat")
    }
    assert trouble == {"migrate": [], "web": [], "worker": [], "beat": []}

    print(
        "\nproduction smoke test:"
        f"\n  install: fresh venv on {BASE_PYTHON}, `pip install .` (no dev extras); run as uid {STAND_IN[0]},"
        f" HOME={stack.app} (root-owned)"
        f"\n  migrate: exit {migrate.returncode}"
        f"\n  /healthz: {health[0]} {health[1]}"
        f"\n  signup → confirmation email at the SMTP server in {took:.1f} s: {confirmation['Subject']!r}"
        f"\n  beat → worker: {len(sweeps.findall(stack.log('worker')))} sweeps run"
        f"\n  lines with an error or a traceback: {sum(map(len, trouble.values()))}"
    )


def docker_engine() -> bool:
    return bool(shutil.which("docker")) and subprocess.run(["docker", "info"], capture_output=True).returncode == 0


class ComposeStack:
    """`docker compose up` of the built image with docker-compose.dev.yml (Mailpit catches the email), as a
    try-out runs it: plain http on 127.0.0.1:8000, Mailpit's API on 127.0.0.1:8025."""

    origin = "http://localhost:8000"
    proxy_headers = {"Host": "localhost"}
    port = 8000

    def __init__(self):
        self.project = f"smoke{os.getpid()}"
        self.env = {
            **os.environ,
            "DJANGO_SECRET_KEY": "a-long-random-production-secret-for-this-test-only-0123456789abcdef",
            "SITE_URL": self.origin,
        }

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        files = ["-f", "docker-compose.yml", "-f", "docker-compose.dev.yml", "-p", self.project]
        result = subprocess.run(
            ["docker", "compose", *files, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=900
        )
        assert not check or result.returncode == 0, result.stdout + result.stderr
        return result


@pytest.mark.skipif(not docker_engine(), reason="needs a Docker engine (`docker info`)")
def test_the_image_under_docker_compose_serves_and_sends():
    """Not run where this was written (no engine there): the same proof as above, against the built image."""
    stack = ComposeStack()
    try:
        stack.compose("up", "--build", "--detach", "--wait", "--wait-timeout", "300")
        assert healthz(stack)[0] == 200, healthz(stack)
        signup(stack, f"asa.nordstrom.{uuid.uuid4().hex[:8]}@example.se")
        deadline = time.monotonic() + 60
        while True:
            with urllib.request.urlopen("http://127.0.0.1:8025/api/v1/messages", timeout=5) as response:
                messages = json.load(response)["messages"]
            if messages or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert [message["Subject"] for message in messages] == ["Bekräfta din e-postadress"]
        logs = stack.compose("logs", "--no-color", "migrate", "web", "worker", "beat").stdout
        assert [line for line in logs.splitlines() if TROUBLE.search(line)] == []
    finally:
        stack.compose("down", "--volumes", check=False)
