"""The restore drill of the README (Deployment, Backup and restore): pg_dump of a database with people and email in
it, pg_restore into an empty database, and every table back row for row, the migrations found applied."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from network.models import Ambassador
from tests.e2e.conftest import ROOT, database_url
from tests.factories import AmbassadorFactory, DeliveryFactory

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the drill is for PostgreSQL (DATABASE_URL)"
)


def row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as database:
        tables = [row[0] for row in database.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        count = sql.SQL("SELECT count(*) FROM {}")
        return {table: database.execute(count.format(sql.Identifier(table))).fetchone()[0] for table in tables}


def test_a_dump_restores_into_an_empty_database_whole_and_migrated(transactional_db, tmp_path):
    anna = AmbassadorFactory(first_name="Åsa", last_name="Öberg", email="asa@example.se")
    DeliveryFactory(ambassador=anna, template="approval")
    source = database_url()
    drill = f"{connection.settings_dict['NAME']}_drill"
    server = source.rsplit("/", 1)[0]
    dump = tmp_path / "ambassador.dump"

    with dump.open("wb") as output:  # the README's backup, without `docker compose exec -T postgres`
        subprocess.run(["pg_dump", "-Fc", source], stdout=output, check=True)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{drill}"')
        admin.execute(f'CREATE DATABASE "{drill}"')
    try:
        with dump.open("rb") as backup:  # the README's restore
            restore = subprocess.run(
                ["pg_restore", "-d", f"{server}/{drill}", "--clean", "--if-exists", "--no-owner"],
                stdin=backup,
                capture_output=True,
                text=True,
            )
        assert restore.returncode == 0, restore.stderr

        assert row_counts(f"{server}/{drill}") == row_counts(source)
        with psycopg.connect(f"{server}/{drill}") as restored:
            assert restored.execute("SELECT first_name FROM network_ambassador").fetchall() == [("Åsa",)]
        check = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--check"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": f"{server}/{drill}"},
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{drill}" WITH (FORCE)')
    assert Ambassador.objects.count() == 1
