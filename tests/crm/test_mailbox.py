"""The local mailbox of `make run`: email becomes .eml files that staff read at /admin/mailbox/."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.contrib.auth.models import Permission
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.urls import Resolver404, resolve

from crm import views

pytestmark = pytest.mark.django_db

MAILBOX_URL = "/admin/mailbox/"


@pytest.fixture
def mailbox_dir(settings, tmp_path, debug_urls):
    settings.EMAIL_BACKEND = "crm.mailbox.EmailBackend"
    settings.MAILBOX_DIR = tmp_path / "mailbox"
    return settings.MAILBOX_DIR


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("personal", password="pw-for-tests", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_delivery", content_type__app_label="campaigns"))
    client.force_login(user)
    return client


def send_welcome(subject: str = "Välkommen till nätverket", text: str = "Hej Anna!", html: str | None = None) -> None:
    message = EmailMultiAlternatives(
        subject, text, "Ambassadörsnätverket <ambassador@kramfors.se>", ["Anna Ödmark <anna@example.se>"]
    )
    message.attach_alternative(html or "<p>Hej <strong>Anna</strong>!</p>", "text/html")
    message.send()


def test_sending_an_email_writes_one_eml_file_into_the_mailbox(mailbox_dir):
    send_welcome()
    files = list(mailbox_dir.glob("*.eml"))
    assert len(files) == 1
    assert list(mailbox_dir.glob(".*")) == [], "a temporary file was left behind"
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Välkommen till nätverket"
    assert parsed["To"] == "Anna Ödmark <anna@example.se>"
    assert parsed.get_body(preferencelist=("plain",)).get_content().strip() == "Hej Anna!"
    assert "<strong>Anna</strong>" in parsed.get_body(preferencelist=("html",)).get_content()


def test_each_message_of_a_batch_gets_its_own_file(mailbox_dir):
    messages = [EmailMessage(f"Nyhetsbrev {n}", "Hej!", None, [f"person{n}@example.se"]) for n in range(3)]
    assert get_connection().send_messages(messages) == 3
    assert len(list(mailbox_dir.glob("*.eml"))) == 3


def test_the_staff_mailbox_page_lists_the_subject(mailbox_dir, staff_client):
    send_welcome()
    response = staff_client.get(MAILBOX_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Välkommen till nätverket" in content
    assert "anna@example.se" in content
    assert "Hej Anna!" in content


def test_the_mailbox_page_says_so_when_it_is_empty(mailbox_dir, staff_client):
    response = staff_client.get(MAILBOX_URL)
    assert response.status_code == 200
    assert response.context["messages_list"] == []


def test_anonymous_visitors_are_sent_to_the_login_page(mailbox_dir, client):
    send_welcome()
    response = client.get(MAILBOX_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "next=/admin/mailbox/" in response["Location"]


def test_logged_in_users_who_are_not_staff_are_sent_to_the_login_page(mailbox_dir, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ambassador", password="pw-for-tests"))
    send_welcome()
    response = client.get(MAILBOX_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_visitors_cannot_open_a_message(mailbox_dir, client):
    send_welcome()
    name = next(mailbox_dir.glob("*.eml")).name
    response = client.get(f"{MAILBOX_URL}{name}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_subject_and_text_are_escaped_on_the_mailbox_page(mailbox_dir, staff_client):
    send_welcome(subject="<img src=x onerror=alert(1)>", text="<script>alert('text')</script>")
    content = staff_client.get(MAILBOX_URL).content.decode()
    assert "<img src=x onerror=alert(1)>" not in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content
    assert "<script>alert('text')</script>" not in content
    assert "&lt;script&gt;" in content


def test_the_html_version_is_served_in_a_csp_sandbox(mailbox_dir, staff_client):
    send_welcome(html="<p>Hej</p><script>alert('html')</script>")
    name = next(mailbox_dir.glob("*.eml")).name
    response = staff_client.get(f"{MAILBOX_URL}{name}/")
    assert response.status_code == 200
    assert "<p>Hej</p>" in response.content.decode()
    # Any script in the stored HTML is inert: the page runs in a sandbox without scripts or same-origin access.
    assert response["Content-Security-Policy"].strip() == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_text_only_message_is_shown_escaped(mailbox_dir, staff_client):
    EmailMessage("Bara text", "<script>alert('x')</script> & mer", None, ["anna@example.se"]).send()
    name = next(mailbox_dir.glob("*.eml")).name
    response = staff_client.get(f"{MAILBOX_URL}{name}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "<script>" not in content
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; mer" in content
    assert response["Content-Security-Policy"].strip() == "sandbox"


def test_an_unknown_message_is_404(mailbox_dir, staff_client):
    send_welcome()
    assert staff_client.get(f"{MAILBOX_URL}20990101-000000-deadbeef.eml/").status_code == 404


def test_a_message_name_cannot_reach_outside_the_mailbox(mailbox_dir, staff_client):
    secret = mailbox_dir.parent / "secret.eml"
    secret.write_bytes(b"Subject: secret\r\n\r\nsecret body\r\n")
    send_welcome()
    response = staff_client.get(f"{MAILBOX_URL}..%2Fsecret.eml/")
    assert response.status_code == 404
    assert b"secret body" not in response.content


@pytest.mark.parametrize("name", ["..", "."])
def test_a_folder_name_instead_of_a_message_is_404(mailbox_dir, staff_client, name):
    send_welcome()
    staff_client.raise_request_exception = False
    assert staff_client.get(f"{MAILBOX_URL}{name}/").status_code == 404


def test_a_message_still_being_written_is_not_listed(mailbox_dir, staff_client):
    send_welcome()
    (mailbox_dir / ".20990101-000000-abcdef12.eml").write_bytes(b"Subject: Halvskrivet\r\n\r\nHej")
    response = staff_client.get(MAILBOX_URL)
    assert "Halvskrivet" not in response.content.decode()


def test_staff_who_may_not_see_deliveries_get_403_on_the_mailbox(mailbox_dir, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("utan-behorighet", is_staff=True))
    send_welcome()
    name = next(mailbox_dir.glob("*.eml")).name
    for path in (MAILBOX_URL, f"{MAILBOX_URL}{name}/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert b"anna@example.se" not in response.content


def test_without_debug_the_mailbox_is_not_routed(settings, tmp_path, client, django_user_model):
    """Production (DEBUG off): /admin/mailbox/ is no page of ours, not even for a superuser."""
    assert not settings.DEBUG
    settings.EMAIL_BACKEND = "crm.mailbox.EmailBackend"
    settings.MAILBOX_DIR = tmp_path / "mailbox"
    send_welcome()
    name = next(settings.MAILBOX_DIR.glob("*.eml")).name
    client.force_login(django_user_model.objects.create_superuser("root", "root@kramfors.se", "pw-for-tests-123"))
    for path in (MAILBOX_URL, f"{MAILBOX_URL}{name}/"):
        try:
            match = resolve(path)
        except Resolver404:
            match = None
        assert match is None or match.func not in (views.mailbox, views.mailbox_html), path
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"anna@example.se" not in response.content


def test_with_debug_the_mailbox_is_routed(debug_urls):
    assert resolve(MAILBOX_URL).func is views.mailbox
    assert resolve(f"{MAILBOX_URL}20990101-000000-deadbeef.eml/").func is views.mailbox_html
