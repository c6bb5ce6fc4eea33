"""docker-compose.yml, docker-compose.dev.yml and .env.example, checked without a Docker engine (and with
`docker compose config` where Compose is installed)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")
EXPECTED_SERVICES = {"migrate", "web", "worker", "beat", "postgres", "redis"}
# Set by the compose file itself (its own services and the volume), each still open to the shell or .env but VAR_DIR.
COMPOSE_SETS = {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "VAR_DIR"}

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


@pytest.fixture(scope="module")
def compose_dev() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.dev.yml").read_text(encoding="utf-8"))


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


def test_compose_file_names_web_worker_beat_postgres_redis_and_no_mailpit(compose):
    assert set(compose["services"]) == EXPECTED_SERVICES


def test_mailpit_is_only_in_the_development_file_and_email_goes_there_only_on_purpose(compose_dev):
    assert "mailpit" in compose_dev["services"]
    for name in ("migrate", *APP_SERVICES):
        environment = normalised_environment(compose_dev["services"][name])
        assert environment["EMAIL_HOST"] == "mailpit", name
        assert environment["EMAIL_ALLOW_TEST_SINK"] == "1", name


@pytest.mark.parametrize("file", ["docker-compose.yml", "docker-compose.dev.yml"])
def test_every_published_port_is_bound_to_this_host_only(file):
    services = yaml.safe_load((ROOT / file).read_text(encoding="utf-8"))["services"]
    published = [(name, port) for name, service in services.items() for port in service.get("ports", [])]
    assert published, file
    assert all(str(port).startswith("127.0.0.1:") for _name, port in published), published


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
    assert "redis://redis:" in environment["CELERY_BROKER_URL"]
    assert "redis://redis:" in environment["CACHE_URL"]
    # No mail server by default: production names its own, or the system check stops migrate (campaigns.E003).
    assert environment["EMAIL_HOST"] is None and environment["EMAIL_PORT"] is None
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


def test_every_setting_can_come_from_the_shell_or_env_file(compose):
    """A name without a value is passed on from the shell (or .env); a value with ${NAME:-default} or ${NAME:?} reads
    it too. Only env_file would miss a variable set in the shell."""
    environment = normalised_environment(compose["services"]["web"])
    read, _prefixes = settings_variables()
    not_passed = {
        name
        for name in read - {"VAR_DIR"}
        if name not in environment or not (environment[name] is None or f"${{{name}:" in environment[name])
    }
    assert not_passed == set()


@pytest.mark.parametrize("name", ["postgres", "redis", "web", "worker", "beat"])
def test_service_has_a_healthcheck(compose, name):
    healthcheck = compose["services"][name].get("healthcheck")
    assert healthcheck and healthcheck.get("test"), f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False)


def test_web_healthcheck_asks_healthz_and_beat_its_heartbeat(compose):
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert "/healthz" in (" ".join(test) if isinstance(test, list) else test)
    assert compose["services"]["beat"]["healthcheck"]["test"][-4:] == ["manage.py", "health", "--only", "beat"]


@pytest.mark.skipif(
    not shutil.which("docker") or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode,
    reason="needs Docker Compose",
)
def test_docker_compose_config_agrees_with_the_settings():
    environment = {**os.environ, "DJANGO_SECRET_KEY": "k" * 50, "SITE_URL": "https://ambassador.kramfors.se"}
    environment["DJANGO_BEHIND_PROXY"] = "1"  # from the shell, not .env
    result = subprocess.run(
        ["docker", "compose", "config", "--format", "json"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert services["web"]["environment"]["DJANGO_BEHIND_PROXY"] == "1"
    assert services["web"]["ports"][0]["host_ip"] == "127.0.0.1"
    assert "mailpit" not in services


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


def readme_settings_table() -> tuple[set[str], dict[str, str]]:
    """The variables the README's table under *Settings* names (a row may name several), and each one's
    'required' cell."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    names, required = set(), {}
    for row in section.splitlines():
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if not row.startswith("| `") or len(cells) != 4:
            continue
        for name in re.findall(r"`([A-Z][A-Z0-9_]*\*?)`", cells[0]):
            names.add(name)
            required[name] = cells[1]
    return names, required


def test_the_readme_table_names_every_setting_and_only_those():
    read, prefixes = settings_variables()
    documented, _required = readme_settings_table()
    assert read - documented == set(), "README.md's Settings table lacks these"
    outside_settings = {"WEB_CONCURRENCY", "POSTGRES_PASSWORD"} | {f"{prefix}*" for prefix in prefixes}
    assert documented - read - outside_settings == set(), "README.md's Settings table names what nothing reads"


def test_the_readme_calls_required_what_production_cannot_start_without():
    _documented, required = readme_settings_table()
    assert {name for name, cell in required.items() if cell.startswith("yes")} == {
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "SITE_URL",
        "EMAIL_HOST",
    }
