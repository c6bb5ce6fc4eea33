from __future__ import annotations

import os
import uuid
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from tests.smtp import SMTPServer


@pytest.fixture
def coordinator(django_user_model):
    """A staff user with every permission on the network and campaigns apps, as the demo coordinator has."""
    user = django_user_model.objects.create_user("koordinator", password="pw-for-tests", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["network", "campaigns"]))
    return user


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


# Each test run publishes to its own queue, so that test workers never take each other's messages
# (they share one Redis in CI). Celery reads the setting lazily, on first use.
settings.CELERY_TASK_DEFAULT_QUEUE = f"test-{os.getpid()}"


@pytest.fixture
def debug_urls(settings):
    """The URL configuration as `make run` (DJANGO_DEBUG on) has it: crm.urls routes the local mailbox only then."""
    from importlib import reload

    from django.urls import clear_url_caches

    import crm.urls

    debug = settings.DEBUG
    settings.DEBUG = True
    reload(crm.urls)
    clear_url_caches()
    yield
    settings.DEBUG = debug
    reload(crm.urls)
    clear_url_caches()


@pytest.fixture
def broker_down():
    """Point this process's Celery app at a port where no broker listens, for the duration of a block."""
    from contextlib import contextmanager

    from crm.celery import app

    def reset_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    @contextmanager
    def down():
        # Celery prefers the CELERY_BROKER_URL environment variable (set in CI) over its configuration.
        saved = app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
        os.environ["CELERY_BROKER_URL"] = app.conf.broker_url = "redis://127.0.0.1:9/0"
        reset_pools()
        try:
            yield
        finally:
            app.conf.broker_url = saved[0]
            if saved[1] is None:
                os.environ.pop("CELERY_BROKER_URL")
            else:
                os.environ["CELERY_BROKER_URL"] = saved[1]
            reset_pools()

    return down


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's SMTP backend points to it."""
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        yield server


def body_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def body_html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def unsubscribe_path(message) -> str:
    """The path of the https/http URL in the List-Unsubscribe header of a received message."""
    header = str(message["List-Unsubscribe"]).strip()
    assert header.startswith("<") and header.endswith(">"), header
    return urlparse(header[1:-1]).path


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Each test gets its own cache namespace: rate-limit counters must not carry over between tests, nor
    between test processes sharing one Redis in CI. Never call cache.clear() in a test: on Redis it empties the
    database the other test process is counting in (it made a browser test's eleventh signup pass the limit)."""
    cache = dict(settings.CACHES["default"])
    cache["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": cache}


@pytest.fixture
def seed_data(db):
    """The rows the data migrations seed (localities, interests, the onboarding sequence, the page about the
    network). A transactional test elsewhere in the same process empties every table when it ends, so tests that
    need them ask for them."""
    from importlib import import_module

    from django.apps import apps

    import_module("network.migrations.0002_seed_localities_and_interests").seed(apps, None)
    import_module("campaigns.migrations.0002_seed_onboarding").seed(apps, None)
    import_module("campaigns.migrations.0005_step_english").seed(apps, None)
    import_module("pages.migrations.0002_about_page").create(apps, None)


@pytest.fixture(autouse=True, scope="session")
def recorder_stopped_before_the_database_goes(django_db_setup):
    """The outbox's recording thread (campaigns.services.recorder) keeps a connection for a few seconds after its
    last work; it is ended before the test database is dropped."""
    yield
    from campaigns.services.recorder import BACKGROUND

    BACKGROUND.stop()
