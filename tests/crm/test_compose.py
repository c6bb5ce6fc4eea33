"""docker-compose.yml and .env.example, checked without a Docker engine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")
EXPECTED_SERVICES = {"web", "worker", "beat", "postgres", "redis", "mailpit"}

# env_str("NAME"...), env_bool(\n "NAME"...) and any other env_* helper, os.environ.get("NAME"...), os.environ["NAME"], os.getenv("NAME")
SETTINGS_READ = re.compile(
    r"""(?:\benv_[a-z]+\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
)
SETTINGS_PREFIX = re.compile(r"""\.startswith\(\s*["']([A-Z][A-Z0-9_]*_)["']\s*\)""")
# "NAME=value" or "# NAME=default" (a setting left at its default)
ENV_EXAMPLE_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def normalised_environment(service: dict) -> dict[str, str | None]:
    """A service's `environment` as a dict, whether written as a mapping or as a list of NAME=value."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in environment)
        return {name: value for name, value in pairs}
    return {name: None if value is None else str(value) for name, value in environment.items()}


def normalised_env_files(service: dict) -> list[str]:
    env_file = service.get("env_file") or []
    if isinstance(env_file, str | dict):
        env_file = [env_file]
    return [item["path"] if isinstance(item, dict) else item for item in env_file]


def settings_variables() -> tuple[set[str], set[str]]:
    text = (ROOT / "crm" / "settings.py").read_text(encoding="utf-8")
    return set(SETTINGS_READ.findall(text)), set(SETTINGS_PREFIX.findall(text))


def env_example_variables() -> set[str]:
    return set(ENV_EXAMPLE_LINE.findall((ROOT / ".env.example").read_text(encoding="utf-8")))


def test_compose_file_names_web_worker_beat_postgres_redis_and_mailpit(compose):
    assert EXPECTED_SERVICES <= set(compose["services"])


def test_every_compose_service_has_an_image_or_a_build(compose):
    missing = [
        name for name, service in compose["services"].items() if not (service.get("image") or service.get("build"))
    ]
    assert missing == []


def test_web_worker_and_beat_share_one_environment(compose):
    services = compose["services"]
    environments = {name: normalised_environment(services[name]) for name in APP_SERVICES}
    env_files = {name: normalised_env_files(services[name]) for name in APP_SERVICES}
    assert environments["web"], "web has no environment"
    assert environments["worker"] == environments["web"]
    assert environments["beat"] == environments["web"]
    assert env_files["worker"] == env_files["web"]
    assert env_files["beat"] == env_files["web"]


def test_the_shared_environment_points_at_the_compose_services(compose):
    environment = normalised_environment(compose["services"]["web"])
    assert "@postgres:" in environment["DATABASE_URL"]
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:")
    assert environment["CACHE_URL"].startswith("redis://redis:")
    assert "mailpit" in environment["EMAIL_HOST"]
    assert "1025" in environment["EMAIL_PORT"]
    # A missing secret key stops `docker compose up` with a message instead of starting without one.
    assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
    assert "DJANGO_ALLOWED_HOSTS" in environment
    assert "SITE_URL" in environment


def test_web_runs_gunicorn_and_worker_and_beat_run_celery(compose):
    services = compose["services"]

    def command(name: str) -> str:
        value = services[name].get("command", "")
        return " ".join(value) if isinstance(value, list) else value

    assert "gunicorn" in command("web") and "crm.wsgi" in command("web")
    assert "celery -A crm worker" in command("worker")
    assert "celery -A crm beat" in command("beat")


def test_migrations_run_before_web_worker_and_beat_start(compose):
    services = compose["services"]
    migrate = services.get("migrate")
    if migrate is None:
        web_command = services["web"].get("command", "")
        assert "migrate" in (" ".join(web_command) if isinstance(web_command, list) else web_command)
        return
    assert "migrate" in " ".join(migrate["command"]) if isinstance(migrate["command"], list) else migrate["command"]
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


@pytest.mark.parametrize("name", ["postgres", "redis", "web", "mailpit"])
def test_service_has_a_healthcheck(compose, name):
    healthcheck = compose["services"][name].get("healthcheck")
    assert healthcheck and healthcheck.get("test"), f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False)


def test_web_healthcheck_asks_healthz(compose):
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert "/healthz" in (" ".join(test) if isinstance(test, list) else test)


def test_postgres_data_and_var_are_named_volumes(compose):
    volumes = set(compose.get("volumes") or {})
    postgres_sources = {mount.split(":", 1)[0] for mount in compose["services"]["postgres"]["volumes"]}
    assert postgres_sources & volumes, "postgres data is not on a named volume"
    for name in APP_SERVICES:
        mounts = {mount.split(":", 1)[0]: mount.split(":")[1] for mount in compose["services"][name]["volumes"]}
        assert any(source in volumes and target == "/app/var" for source, target in mounts.items()), name


def test_every_variable_in_env_example_is_read_by_settings():
    read, prefixes = settings_variables()
    documented = env_example_variables()
    unread = {name for name in documented - read if not name.startswith(tuple(prefixes))}
    assert unread == set(), f".env.example documents variables crm/settings.py does not read: {sorted(unread)}"


def test_every_variable_settings_reads_is_in_env_example():
    read, prefixes = settings_variables()
    documented = env_example_variables()
    assert read, "no environment reads found in crm/settings.py; has the parsing pattern gone stale?"
    assert read - documented == set(), f".env.example lacks: {sorted(read - documented)}"
    undocumented_prefixes = {prefix for prefix in prefixes if not any(name.startswith(prefix) for name in documented)}
    assert undocumented_prefixes == set(), f".env.example has no example of: {sorted(undocumented_prefixes)}*"


def test_every_variable_in_env_example_has_an_english_comment_above_it():
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        match = ENV_EXAMPLE_LINE.match(line)
        if not match:
            continue
        above = index - 1
        while above >= 0 and ENV_EXAMPLE_LINE.match(lines[above]):
            above -= 1  # a group of related variables (ANYMAIL_*) shares one comment
        assert above >= 0 and lines[above].startswith("#") and not ENV_EXAMPLE_LINE.match(lines[above]), match[1]


def test_site_url_must_be_given_for_compose_too(compose):
    """A default here would send every emailed link to localhost, as a missing SITE_URL did in the settings."""
    environment = normalised_environment(compose["services"]["web"])
    assert environment["SITE_URL"].startswith("${SITE_URL:?"), environment["SITE_URL"]


def test_no_app_service_writes_static_files_at_run_time(compose):
    """Static files are collected into the image when it is built; at run time /app belongs to root and the
    services run as the image's unprivileged user, so a collectstatic there would fail."""
    for name, service in compose["services"].items():
        command = service.get("command") or ""
        assert "collectstatic" not in (" ".join(command) if isinstance(command, list) else command), name


def test_the_compose_file_says_which_compose_version_it_needs(compose):
    """`env_file` entries with `required:` need Docker Compose 2.24 or later."""
    uses_required = any(
        isinstance(item, dict) and "required" in item
        for service in compose["services"].values()
        for item in (service.get("env_file") or [])
    )
    if uses_required:
        header = (ROOT / "docker-compose.yml").read_text(encoding="utf-8").split("\n\n", 1)[0]
        assert "2.24 or later" in header
        assert re.search(
            r"Compose (?:version )?(?:≥ ?|2\.24 or later)", (ROOT / "README.md").read_text(encoding="utf-8")
        )
