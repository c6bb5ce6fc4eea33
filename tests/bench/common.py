"""Shared pieces of the benchmarks: environment, the throwaway database, generated members, timing.

Nothing here may touch Django before `configure_environment()` has run: the settings read the environment once.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parents[2]
BENCH_DIR = BASE_DIR / "var" / "bench"

# The member list as Swedish Excel saves it: semicolons, UTF-8 with a byte order mark, the exported headers.
HEADER = ["Förnamn", "Efternamn", "E-post", "Mobil", "Ort", "Intressen", "Ambassadör sedan"]
FIRST_NAMES = [
    "Anna", "Åsa", "Märta", "Björn", "Göran", "Örjan", "Sölve", "Jöns", "Ebba", "Elsa", "Maja", "Linnéa", "Karin",
    "Lars", "Per", "Olle", "Håkan", "Stig-Åke", "Ingegärd", "Gunnel", "Kjell", "Tove", "Ängla", "Bengt", "Annika",
]  # fmt: skip
LAST_NAMES = [
    "Åström", "Sjölund", "Bergström", "Öberg", "Näslund", "Hägglund", "Lindqvist", "Östlund", "Wästberg", "Nordin",
    "Söderström", "Ångström", "Edström", "Höglund", "Lundström", "Bäckström", "Sundqvist", "Jonsson", "Hellström",
]  # fmt: skip
_ASCII = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e"})


def configure_environment() -> None:
    """What every benchmark process needs before Django reads its settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-key-for-benchmarks-only")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ["VAR_DIR"] = str(BENCH_DIR)  # everything the app writes (database, broker, mailbox) stays here
    os.environ.setdefault("SITE_URL", "http://testserver")  # required with DEBUG off
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("EMAIL_ALLOW_TEST_SINK", "1")  # a mail sink on purpose: the production check allows it
    os.environ.setdefault("IMPORT_MAX_ROWS", "200000")  # the import benchmarks read 100k-row files
    os.environ.setdefault("ADMIN_REQUIRE_2FA", "0")  # the admin benchmarks measure pages, not the second factor
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    os.environ["DJANGO_ALLOWED_HOSTS"] = ",".join(dict.fromkeys([*hosts, "testserver"]))
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"  # the test client speaks plain http


def create_database() -> str:
    """A fresh, empty database for this run; DATABASE_URL then points at it. Returns a line saying which."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL")
    if not url:
        path = BENCH_DIR / "bench.sqlite3"
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return f"database: SQLite {sqlite3.sqlite_version}, fresh file {path.relative_to(BASE_DIR)}"

    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit(f"DATABASE_URL must be a PostgreSQL URL (got {config['ENGINE']}).")
    name = f"{config['NAME']}_bench"
    server = {"host": config["HOST"] or None, "port": config["PORT"] or None, "user": config["USER"] or None}
    with psycopg.connect(dbname="postgres", password=config["PASSWORD"] or None, autocommit=True, **server) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = conn.execute("SHOW server_version").fetchone()[0]
    os.environ["DATABASE_URL"] = urlsplit(url)._replace(path=f"/{name}").geturl()
    return f"database: PostgreSQL {version}, fresh database {name} on {config['HOST']}:{config['PORT']}"


def setup_django(*, migrate: bool = False) -> None:
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


# Data ---------------------------------------------------------------------------------------------------------


def phone_forms(national: str, rng: random.Random) -> str:
    """One Swedish mobile number (0701906448) in one of the ways people write it."""
    a, b, c, d = national[:3], national[3:6], national[6:8], national[8:]
    forms = (
        f"{a}-{b} {c} {d}",  # 070-190 64 48
        national,  # 0701906448
        f"{a} {b} {c} {d}",  # 070 190 64 48
        f"{a}-{b}{c}{d}",  # 070-1906448
        f"+46 {a[1:]} {b} {c} {d}",  # +46 70 190 64 48
        f"+46{national[1:]}",  # +46701906448
    )
    return rng.choice(forms)


def generate_members(count: int, localities: list[str], interests: list[str], seed: int = 1) -> list[dict]:
    """New people: Swedish names, unique addresses, mixed phone forms, a seeded locality, 1-3 interests."""
    rng = random.Random(seed)
    start = date(2010, 1, 1)
    people = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        national = rng.choice(("070", "072", "073", "076", "079")) + f"{rng.randrange(10**7):07d}"
        people.append(
            {
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}.{index}@example.se".lower().translate(_ASCII),
                "phone": phone_forms(national, rng),
                "locality": rng.choice(localities),
                "interests": rng.sample(interests, rng.randint(1, 3)),
                "member_since": start + timedelta(days=rng.randrange(5400)),
            }
        )
    return people


def _cells(person: dict) -> list:
    return [
        person["first_name"],
        person["last_name"],
        person["email"],
        person["phone"],
        person["locality"],
        ", ".join(person["interests"]),
        person["member_since"],
    ]


def members_csv(people: list[dict]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(_cells(p) for p in people)  # dates as YYYY-MM-DD
    return out.getvalue().encode("utf-8-sig")


def write_members_xlsx(people: list[dict], path: Path) -> None:
    """The same rows as an Excel workbook (dates as date cells, phones as text), written in write-only mode."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Ambassadörer")
    sheet.append(HEADER)
    for person in people:
        sheet.append(_cells(person))
    workbook.save(path)


# Measuring ----------------------------------------------------------------------------------------------------


def best_of(repeat: int, run, *, before=None) -> float:
    """The fastest of `repeat` timed calls of `run()`; `before()` (untimed) runs ahead of each."""
    best = math.inf
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def clear_app_caches() -> None:
    """Empty the app's memoising caches (e.g. parsed phone numbers), so every run starts cold like a new file."""
    from network import importing, normalize

    for module in (normalize, importing):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def wipe_ambassadors() -> None:
    """Empty the ambassador table (and its links) quickly; not timed."""
    from django.db import connection

    from network.models import Ambassador

    tables = [connection.ops.quote_name(m._meta.db_table) for m in (Ambassador.interests.through, Ambassador)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - quoted names from the models


def analyze() -> None:
    """Fresh planner statistics, as a live PostgreSQL database would have after autovacuum."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def size_label(rows: int) -> str:
    return f"{rows // 1000}k" if rows >= 1000 and rows % 1000 == 0 else str(rows)


def add_active_ambassadors(count: int, prefix: str, batch: int = 5_000) -> None:
    """`count` active ambassadors with addresses (prefix.N@example.se), Swedish names and a locality; not timed."""
    from network.models import Ambassador, Locality

    rng = random.Random(count)
    locality_ids = list(Locality.objects.values_list("pk", flat=True))
    for start in range(0, count, batch):
        Ambassador.objects.bulk_create(
            Ambassador(
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                email=f"{prefix}.{index}@example.se",
                locality_id=rng.choice(locality_ids),
                source=Ambassador.Source.IMPORT,
            )
            for index in range(start, min(start + batch, count))
        )
