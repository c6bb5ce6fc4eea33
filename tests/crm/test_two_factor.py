"""Two-factor authentication for staff (crm.two_factor): with ADMIN_REQUIRE_2FA on, as in production, staff reach
the admin only after a second factor; they enrol at /admin/2fa/ (QR code, a confirmed code, recovery codes); a
recovery code works once. The rest of the test suite runs with it off (pyproject: ADMIN_REQUIRE_2FA=0)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.two_factor import PENDING_KEY

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
ENROL = "/admin/2fa/"
PASSWORD = "rätt-lösenord-för-test"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def required(settings):
    settings.ADMIN_REQUIRE_2FA = True


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("koordinator", password=PASSWORD, is_staff=True, is_superuser=True)


def code_for(key_hex: str, later: int = 0) -> str:
    totp = TOTP(bytes.fromhex(key_hex))
    totp.time = time.time() + later
    return f"{totp.token():06d}"


def log_in(client: Client, code: str = "", username: str = "koordinator", password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password, "otp_token": code, "next": "/admin/"})


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = ["abcd2345", "efgh6723"]
    for code in codes:
        StaticToken.objects.create(device=recovery, token=code)
    return device, codes


def reaches_admin(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_staff_without_a_second_factor_cannot_reach_the_admin(staff):
    client = Client()
    client.force_login(staff)  # signed in with a password only, as a stolen password would
    index = client.get("/admin/")
    assert index.status_code == 302 and index["Location"].startswith(LOGIN)
    # The login page sends someone who has no second factor yet to enrol.
    assert client.get(index["Location"])["Location"] == ENROL
    for path in ("/admin/network/ambassador/", "/admin/auth/user/", "/admin/network/ambassador/export/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), path
    assert client.get(ENROL).status_code == 200  # the one admin page open to them


def test_the_password_alone_logs_in_to_enrol_only(staff):
    client = Client()
    assert log_in(client).status_code == 302
    assert not reaches_admin(client)
    assert client.get(ENROL).status_code == 200


def test_enrolling_scan_confirm_and_get_recovery_codes_then_the_admin_opens(staff):
    client = Client()
    log_in(client)
    page = client.get(ENROL)
    content = page.content.decode()
    assert "<svg" in content  # the QR code
    uri = re.search(r"otpauth://totp/[^<\"\s]+", content).group(0)
    assert "issuer=" in uri and "secret=" in uri
    key_hex = client.session[PENDING_KEY]
    assert not TOTPDevice.objects.exists()  # nothing stored before a code is confirmed

    wrong = client.post(ENROL, {"otp_token": "000000" if code_for(key_hex) != "000000" else "111111"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.exists()

    done = client.post(ENROL, {"otp_token": code_for(key_hex)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    assert TOTPDevice.objects.get(user=staff).confirmed
    assert reaches_admin(client)  # verified in this session by the code just confirmed

    # The next login asks for the code: the password alone is refused.
    other = Client()
    assert log_in(other).status_code == 200
    assert not reaches_admin(other)
    assert log_in(other, code_for(key_hex, later=30)).status_code == 302
    assert reaches_admin(other)


def test_with_a_device_and_a_correct_code_staff_reach_the_admin(staff):
    device, _codes = enrolled(staff)
    client = Client()
    response = log_in(client, "123456")
    assert response.status_code == 200 and "code" in response.content.decode().lower()
    assert not reaches_admin(client)
    time.sleep(1.1)  # a wrong code holds the device back a second (then two, four, …: django-otp's throttling)
    assert log_in(client, code_for(device.key)).status_code == 302
    assert reaches_admin(client)


def test_a_wrong_password_with_a_right_code_is_refused(staff):
    device, _codes = enrolled(staff)
    client = Client()
    assert log_in(client, code_for(device.key), password="fel-lösenord-här").status_code == 200
    assert not reaches_admin(client)


def test_a_recovery_code_works_once(staff):
    _device, codes = enrolled(staff)
    first = Client()
    assert log_in(first, codes[0].upper()).status_code == 302
    assert reaches_admin(first)
    again = Client()
    assert log_in(again, codes[0]).status_code == 200
    assert not reaches_admin(again)
    assert StaticToken.objects.filter(device__user=staff).count() == 1


def test_new_recovery_codes_replace_the_old_ones(staff):
    device, codes = enrolled(staff)
    client = Client()
    log_in(client, code_for(device.key))
    response = client.post(ENROL, {"action": "recovery-codes"})
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(codes)
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(new)


def test_an_unverified_session_cannot_change_the_second_factor(staff):
    enrolled(staff)
    client = Client()
    client.force_login(staff)
    client.post(ENROL, {"action": "start-again"})
    client.post(ENROL, {"action": "recovery-codes"})
    assert TOTPDevice.objects.filter(user=staff).count() == 1
    assert StaticToken.objects.filter(device__user=staff).count() == 2


def test_the_enrolment_page_is_for_signed_in_staff_only(django_user_model):
    assert Client().get(ENROL)["Location"].startswith(f"{LOGIN}?next=")
    person = django_user_model.objects.create_user("inte-personal", password=PASSWORD)
    client = Client()
    client.force_login(person)
    assert client.get(ENROL)["Location"].startswith(f"{LOGIN}?next=")


def test_reset_2fa_removes_a_users_second_factor(staff):
    enrolled(staff)
    call_command("reset_2fa", "koordinator")
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()


def test_with_it_off_as_in_make_run_the_password_is_enough(settings, staff):
    settings.ADMIN_REQUIRE_2FA = False
    client = Client()
    assert log_in(client).status_code == 302
    assert reaches_admin(client)


@pytest.mark.parametrize(
    ("debug", "variable", "expected"), [("0", None, "True"), ("1", None, "False"), ("0", "0", "False")]
)
def test_two_factor_is_required_by_default_in_production_and_off_in_make_run(tmp_path, debug, variable, expected):
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DJANGO_DEBUG": debug,
        "DJANGO_SECRET_KEY": "a-production-secret-key-that-is-long-enough-0123456789",
        "SITE_URL": "https://ambassador.example.se",
        "VAR_DIR": str(tmp_path),
    }
    if variable is not None:
        environment["ADMIN_REQUIRE_2FA"] = variable
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "print(settings.ADMIN_REQUIRE_2FA)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.strip() == expected, result.stderr
