"""The end-to-end tests' fixtures: a real Celery worker process sharing the test database and broker, sending to a
real SMTP server; and headless Chromium for the browser tests (tests/e2e/browser.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client

from network.models import Interest, Locality
from tests.e2e.browser import chromium, open_page
from tests.e2e.public_forms import MIN_FILL_SECONDS

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, env: dict, log: Path, name: str = "worker"):
        self.env = env
        self.log = log
        self.name = name
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Worker:
        self.log.write_text("")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crm",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "-n",
                f"{self.name}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while "ready." not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the worker did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()


@pytest.fixture
def worker_env(transactional_db, smtp_server, tmp_path):
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "EMAIL_RETRY_BASE_SECONDS": "0.2",
        "EMAIL_RETRY_MAX_SECONDS": "0.5",
        "SITE_URL": settings.SITE_URL,
    }


@pytest.fixture
def celery_worker(worker_env, tmp_path):
    worker = Worker(worker_env, tmp_path / "worker.log").start()
    yield worker
    worker.stop()


# The browser tests --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, launched once per test module."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    """A phone-sized page in a fresh context: its own cookies and its own X-Forwarded-For (see open_page)."""
    with open_page(browser) as new_page:
        yield new_page


@pytest.fixture
def coordinator_page(browser, live_server):
    """A tab 1280 pixels wide, in Swedish, logged in as a coordinator (Kim) with every network and campaigns
    permission, as the demo coordinator has."""
    user = get_user_model().objects.create_user("koordinator", first_name="Kim", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["network", "campaigns", "pages"]))
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    host = live_server.url.split("//")[1].split(":")[0]
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"}])
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def public_forms(settings):
    """The public forms as the browser tests fill them: the minimum fill time lowered, and each page posting from
    its own address (see browser.client_ip)."""
    settings.FORM_MIN_FILL_SECONDS = MIN_FILL_SECONDS
    settings.TRUST_X_FORWARDED_FOR = True


@pytest.fixture
def choices():
    """Localities and interests to choose from (a transactional test may start with the seeded rows flushed)."""
    return {
        "nyland": Locality.objects.get_or_create(name="Nyland")[0],
        "bollsta": Locality.objects.get_or_create(name="Bollstabruk")[0],
        "outdoors": Interest.objects.get_or_create(name="Friluftsliv")[0],
        "events": Interest.objects.get_or_create(name="Evenemang")[0],
    }
