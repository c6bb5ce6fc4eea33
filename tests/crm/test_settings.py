"""Settings from the environment: strict parsing, production defaults, language and time zone.

Start-up behaviour is tested in subprocesses with an environment built from scratch, so that the variables
pytest-env sets for the test run (a secret key, SSL redirect off, ...) cannot mask what production would see.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_HOST = "ambassador.kramfors.se"


def clean_environment(var_dir: Path, **variables: str) -> dict[str, str]:
    """Only PATH, the settings module and VAR_DIR, plus what the test names; nothing inherited from pytest."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "VAR_DIR": str(var_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    environment.update(variables)
    return environment


def production_environment(var_dir: Path, **variables: str) -> dict[str, str]:
    """As on the production server: DJANGO_DEBUG and DJANGO_SECURE_SSL_REDIRECT unset, a long random secret."""
    production = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": PRODUCTION_HOST,
        "SITE_URL": f"https://{PRODUCTION_HOST}",
        "EMAIL_HOST": "smtp.kramfors.se",
        "COORDINATOR_NAME": "Maria Ek",
        "COORDINATOR_EMAIL": "maria.ek@kramfors.se",
        "COORDINATOR_PHONE": "070-190 64 48",
    }
    return clean_environment(var_dir, **{**production, **variables})


def run(args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def django_setup_and_print(expression: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return run(
        ["-c", f"import django; django.setup(); from django.conf import settings; print({expression})"], environment
    )


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_environment(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output, output


def test_production_environment_has_debug_off_and_https_hardening(tmp_path):
    result = django_setup_and_print(
        "settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
        " settings.SECURE_HSTS_SECONDS > 0, settings.ALLOWED_HOSTS, settings.CSRF_TRUSTED_ORIGINS",
        production_environment(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (f"False True True True True ['{PRODUCTION_HOST}'] ['https://{PRODUCTION_HOST}']")


def test_debug_is_off_when_django_debug_is_unset(tmp_path):
    environment = production_environment(tmp_path)
    assert "DJANGO_DEBUG" not in environment
    result = django_setup_and_print("settings.DEBUG", environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("DATABASE_CONN_MAX_AGE", "abc"),
        ("SITE_URL", "ftp://x"),
        ("DJANGO_SECURE_SSL_REDIRECT", "sometimes"),
        ("EMAIL_PORT", "twenty-five"),
        ("DJANGO_HSTS_SECONDS", "1 year"),
    ],
)
def test_a_malformed_value_stops_start_up_with_a_message_naming_the_variable(tmp_path, name, value):
    result = django_setup_and_print("settings.DEBUG", production_environment(tmp_path, **{name: value}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.strip().splitlines()[-1], result.stderr


def test_a_malformed_value_also_stops_manage_py(tmp_path):
    result = run(["manage.py", "check"], production_environment(tmp_path, DJANGO_DEBUG="maybe"))
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


def test_a_missing_secret_key_with_debug_off_stops_start_up_with_a_clear_message(tmp_path):
    environment = production_environment(tmp_path)
    del environment["DJANGO_SECRET_KEY"]
    result = django_setup_and_print("settings.DEBUG", environment)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_an_empty_secret_key_with_debug_off_stops_start_up(tmp_path):
    result = django_setup_and_print("settings.DEBUG", production_environment(tmp_path, DJANGO_SECRET_KEY=""))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_mode_starts_without_a_secret_key_for_make_run(tmp_path):
    result = django_setup_and_print(
        "settings.DEBUG, settings.ALLOWED_HOSTS, settings.EMAIL_BACKEND", clean_environment(tmp_path, DJANGO_DEBUG="1")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True ['localhost', '127.0.0.1'] crm.mailbox.EmailBackend"


def test_defaults_keep_local_state_under_var_dir(tmp_path):
    result = django_setup_and_print(
        "settings.DATABASES['default']['NAME'], settings.MAILBOX_DIR",
        clean_environment(tmp_path, DJANGO_DEBUG="1"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "db.sqlite3"), str(tmp_path / "mailbox")]


def test_swedish_is_the_default_language_with_english_available():
    assert settings.LANGUAGE_CODE == "sv"
    assert [code for code, _name in settings.LANGUAGES] == ["sv", "en"]
    assert settings.USE_I18N


def test_time_zone_is_europe_stockholm():
    assert settings.TIME_ZONE == "Europe/Stockholm"
    assert settings.USE_TZ
    assert settings.CELERY_TIMEZONE == "Europe/Stockholm"


@pytest.mark.django_db
def test_healthz_answers_200_with_json(client):
    from tests.factories import HeartbeatFactory

    for name in ("worker", "beat"):
        HeartbeatFactory(name=name)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


# Production needs its own address; a proxy is trusted only when declared -----------------------------------


@pytest.mark.parametrize("value", [None, "", "  "], ids=["unset", "empty", "blank"])
def test_site_url_is_required_with_debug_off(tmp_path, value):
    environment = production_environment(tmp_path)
    if value is None:
        del environment["SITE_URL"]
    else:
        environment["SITE_URL"] = value
    result = django_setup_and_print("settings.SITE_URL", environment)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line and "SITE_URL" in last_line, result.stderr


def test_site_url_defaults_to_localhost_only_in_debug_mode(tmp_path):
    result = django_setup_and_print("settings.SITE_URL", clean_environment(tmp_path, DJANGO_DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://localhost:8000"


def test_x_forwarded_proto_is_trusted_only_behind_a_declared_proxy(tmp_path):
    expression = "getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)"
    direct = django_setup_and_print(expression, production_environment(tmp_path))
    behind = django_setup_and_print(expression, production_environment(tmp_path, DJANGO_BEHIND_PROXY="1"))
    assert (direct.returncode, behind.returncode) == (0, 0), direct.stderr + behind.stderr
    assert direct.stdout.strip() == "None"
    assert behind.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_production_without_a_named_coordinator_warns(tmp_path):
    result = run(["manage.py", "check", "--deploy"], production_environment(tmp_path, COORDINATOR_NAME=""))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output  # a warning: the site runs, the emails say "the ambassador coordinator"
    assert "campaigns.W001" in output and "COORDINATOR_NAME not set" in output, output


def test_production_behind_a_proxy_passes_check_deploy_without_warnings(tmp_path):
    environment = production_environment(tmp_path, DJANGO_BEHIND_PROXY="1")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environment)
    assert result.returncode == 0, result.stdout + result.stderr


# Loading the settings writes nothing; folders are made where they are needed ----------------------------------

RECORD_MKDIR = """
import os, sys
made = []
_mkdir = os.mkdir
def recording_mkdir(path, *args, **kwargs):
    made.append(str(path))
    return _mkdir(path, *args, **kwargs)
os.mkdir = recording_mkdir
import django
django.setup()
from django.conf import settings
from django.utils import timezone
print(repr(made))
"""


@pytest.mark.parametrize("debug", ["0", "1"], ids=["production", "debug"])
def test_loading_the_settings_creates_no_folder(tmp_path, debug):
    var_dir = tmp_path / "var"
    environment = {**production_environment(var_dir), "DJANGO_DEBUG": debug}
    result = run(["-c", RECORD_MKDIR], environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert not var_dir.exists()


def test_the_sqlite_folder_is_made_when_the_database_is_first_used(tmp_path):
    var_dir = tmp_path / "new" / "var"
    result = run(
        [
            "-c",
            "import django; django.setup(); from django.db import connection; connection.ensure_connection();"
            " print(connection.vendor, connection.settings_dict['NAME'])",
        ],
        clean_environment(var_dir, DJANGO_DEBUG="1"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sqlite", str(var_dir / "db.sqlite3")]
    assert (var_dir / "db.sqlite3").is_file()


# Tracking webhooks: which ESPs are routed, and start-up refuses them without the secret -------------------------


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ("anymail.backends.amazon_ses.EmailBackend", "['amazon_ses']"),
        ("anymail.backends.postmark.EmailBackend", "['postmark']"),
        ("django.core.mail.backends.smtp.EmailBackend", "[]"),
    ],
)
def test_the_routed_webhooks_default_to_the_esp_of_the_email_backend(tmp_path, backend, expected):
    environment = production_environment(tmp_path, EMAIL_BACKEND=backend, ANYMAIL_WEBHOOK_SECRET="user:pass")
    result = django_setup_and_print("settings.EMAIL_WEBHOOK_ESPS", environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_manage_py_check_refuses_routed_webhooks_without_the_secret(tmp_path):
    environment = production_environment(tmp_path, EMAIL_BACKEND="anymail.backends.postmark.EmailBackend")
    result = run(["manage.py", "check"], environment)
    assert result.returncode != 0
    assert "campaigns.E001" in result.stderr and "ANYMAIL_WEBHOOK_SECRET" in result.stderr, result.stderr

    for fixed in ({"ANYMAIL_WEBHOOK_SECRET": "user:pass"}, {"EMAIL_WEBHOOK_ESPS": ""}, {"DJANGO_DEBUG": "1"}):
        result = run(["manage.py", "check"], {**environment, **fixed})
        assert result.returncode == 0, (fixed, result.stderr)


def test_manage_py_check_refuses_an_esp_without_a_webhook_here(tmp_path):
    environment = production_environment(tmp_path, EMAIL_WEBHOOK_ESPS="postmark,sendgrid", ANYMAIL_WEBHOOK_SECRET="u:p")
    result = run(["manage.py", "check"], environment)
    assert result.returncode != 0
    assert "campaigns.E002" in result.stderr and "sendgrid" in result.stderr, result.stderr


# Email must reach people when DEBUG is off ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "variables",
    [
        {"EMAIL_HOST": None},
        {"EMAIL_HOST": ""},
        {"EMAIL_HOST": "mailpit", "EMAIL_PORT": "1025"},
        {"EMAIL_HOST": "Mailpit"},
        {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": "1025"},
        {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
        {"EMAIL_BACKEND": "crm.mailbox.EmailBackend"},
    ],
    ids=["unset", "empty", "mailpit", "Mailpit", "port-1025", "console", "mailbox"],
)
def test_with_debug_off_start_up_refuses_email_that_reaches_nobody_unless_allowed(tmp_path, variables):
    environment = production_environment(tmp_path, **{k: v for k, v in variables.items() if v is not None})
    if variables.get("EMAIL_HOST", "") is None:
        environment.pop("EMAIL_HOST")
    result = run(["manage.py", "check"], environment)
    assert result.returncode != 0
    assert "campaigns.E003" in result.stderr and "EMAIL_ALLOW_TEST_SINK=1" in result.stderr, result.stderr

    for allowed in ({"EMAIL_ALLOW_TEST_SINK": "1"}, {"DJANGO_DEBUG": "1"}):
        result = run(["manage.py", "check"], {**environment, **allowed})
        assert result.returncode == 0, (allowed, result.stderr)


def test_an_esp_needs_no_smtp_host(tmp_path):
    environment = production_environment(
        tmp_path, EMAIL_BACKEND="anymail.backends.postmark.EmailBackend", ANYMAIL_WEBHOOK_SECRET="user:pass"
    )
    environment.pop("EMAIL_HOST")
    result = run(["manage.py", "check"], environment)
    assert result.returncode == 0, result.stderr
