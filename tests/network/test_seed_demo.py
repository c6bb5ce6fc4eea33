"""`seed_demo` creates a demo coordinator whose password is printed and in the README: only with DEBUG on."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command

from network.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERNAME
from network.models import Ambassador

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_with_debug_off_seed_demo_refuses_and_creates_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="^seed_demo .*DJANGO_DEBUG"):
        call_command("seed_demo")
    assert not get_user_model().objects.filter(username=DEMO_USERNAME).exists()
    assert not Ambassador.objects.exists()


def test_with_debug_off_manage_py_seed_demo_exits_non_zero_with_a_clear_message(tmp_path):
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "ambassador.kramfors.se",
        "SITE_URL": "https://ambassador.kramfors.se",
        "EMAIL_HOST": "smtp.kramfors.se",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.startswith("CommandError: seed_demo ") and "DJANGO_DEBUG" in result.stderr, result.stderr
    assert DEMO_PASSWORD not in result.stdout + result.stderr


def test_with_debug_on_seed_demo_creates_the_coordinator_with_a_valid_password(settings, seed_data):
    settings.DEBUG = True
    call_command("seed_demo")
    user = get_user_model().objects.get(username=DEMO_USERNAME)
    assert user.is_staff and user.check_password(DEMO_PASSWORD)
    validate_password(DEMO_PASSWORD, user)  # at least 12 characters, like every password
    assert Ambassador.objects.exists()


def test_seed_demo_says_how_the_emails_contact_person_is_reached(settings, seed_data):
    settings.DEBUG = True
    settings.COORDINATOR_PHONE = "0612-80000"
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert "0612-800 00" in printed and settings.COORDINATOR_EMAIL in printed
    assert "COORDINATOR_PHONE" in printed
