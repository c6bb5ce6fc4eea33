"""`manage.py import_members FILE [--dry-run] [--skip-invalid]`: the same import, with exit codes 0, 1 and 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from network.models import Ambassador
from tests.factories import AmbassadorFactory
from tests.network.test_import import ANNA, BO, counts, csv_bytes, rejected_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def write(tmp_path):
    def write(data: bytes) -> Path:
        (tmp_path / "medlemmar.csv").write_bytes(data)
        return tmp_path / "medlemmar.csv"

    return write


def test_the_command_exits_0_and_names_new_localities_and_interests_when_every_row_is_imported(write, capsys):
    new = ["Ed", "", "ed@example.se", "", "Helt ny ort", "Bågskytte", "", ""]
    call_command("import_members", str(write(csv_bytes([ANNA, BO, new]))))  # no SystemExit: exit code 0
    out = capsys.readouterr().out
    assert any(line.endswith("(rows 2, 3, 4)") or line.endswith("2, 3, 4)") for line in out.splitlines()), out
    assert "Helt ny ort" in out and "Bågskytte" in out
    assert Ambassador.objects.count() == 3


def test_the_command_exits_1_and_lists_rejected_rows_when_a_row_is_rejected(write, capsys):
    with pytest.raises(SystemExit) as exited:
        call_command("import_members", str(write(rejected_file())))
    assert exited.value.code == 1
    out = capsys.readouterr().out
    for needle in ("3", "4", "5", "E-post", "Medlem sedan"):
        assert needle in out
    assert Ambassador.objects.count() == 0


def test_the_command_with_skip_invalid_imports_valid_rows_and_still_exits_1(write):
    with pytest.raises(SystemExit) as exited:
        call_command("import_members", str(write(rejected_file())), skip_invalid=True)
    assert exited.value.code == 1
    assert Ambassador.objects.count() == 2


def test_the_command_dry_run_writes_nothing(write):
    before = counts()
    call_command("import_members", str(write(csv_bytes([ANNA, BO]))), dry_run=True)
    assert counts() == before


def test_the_command_reports_created_updated_and_unchanged_with_row_numbers(write, capsys):
    AmbassadorFactory(first_name="Bo", last_name="Åström", email="bo@example.se", phone="")
    path = write(csv_bytes([ANNA, BO, BO]))
    call_command("import_members", str(path))
    first = capsys.readouterr().out.splitlines()
    assert any(line.endswith("2)") and ": 1 " in line for line in first), first  # created: row 2
    assert any(line.endswith("3, 4)") and ": 1 " in line for line in first), first  # updated: rows 3 and 4
    call_command("import_members", str(path))
    second = capsys.readouterr().out.splitlines()
    assert any(": 2 " in line and line.endswith("2, 3, 4)") for line in second), second  # all unchanged
    assert Ambassador.objects.count() == 2


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x01\x02PK garbage\x00", b"PK\x03\x04not really a workbook", b"Namn;Adress\nA;B\n", None],
    ids=["empty", "binary", "broken-xlsx", "unknown-headers", "missing"],
)
def test_the_command_exits_2_on_an_unreadable_or_missing_file(write, data):
    path = write(data) if data is not None else write(b"").with_name("finns-inte.csv")
    with pytest.raises(CommandError) as raised:
        call_command("import_members", str(path))
    assert raised.value.returncode == 2
    assert Ambassador.objects.count() == 0


def test_the_command_run_as_a_process_exits_2_on_an_unreadable_file(write):
    path = write(b"\x00\x01\x02\x03")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "import_members", str(path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert str(path.name) in result.stderr
