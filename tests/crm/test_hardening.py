"""The hardened surface: a Content-Security-Policy without 'unsafe-inline' and a Permissions-Policy on every public
page, a rate limit on every public POST, and export and import of personal data as permissions of their own.

The public pages are read from the URL configuration itself (every pattern outside /admin/), so a page added later
is covered without anyone adding it to a list."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import URLResolver, get_resolver

from campaigns.models import Unsubscribe
from crm.security import ADMIN_POLICY, PUBLIC_POLICY
from crm.tokens import token_make
from tests.factories import AmbassadorFactory, ApplicationFactory

pytestmark = pytest.mark.django_db

# Not public pages: the admin (its own policy, below) and the ESP's authenticated webhooks (no page).
NOT_PUBLIC = ("admin/", "webhooks/")
REQUIRED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def public_routes() -> list[tuple[str, object]]:
    return [(route, entry) for route, entry in walk(get_resolver().url_patterns) if not route.startswith(NOT_PUBLIC)]


@pytest.fixture
def people():
    application = ApplicationFactory(first_name="Anna", last_name="Lindqvist", email="anna@example.org")
    ambassador = AmbassadorFactory(first_name="Anna", last_name="Lindqvist", email="anna.l@example.org")
    return application, ambassador


def url_for(route: str, token: str = "") -> str:
    url = "/" + route.replace("<str:token>", token)
    assert "<" not in url, f"{route}: fill its parameters here"
    return url


def urls_with_tokens(people) -> list[str]:
    """Every public route, a token-taking one once with a garbage token and once with each real kind that fits."""
    application, ambassador = people
    real = [
        token_make("confirm", application.pk),
        token_make("unsubscribe", [ambassador.pk, "newsletter", None]),
        "ogiltig",
    ]
    urls = []
    for route, _entry in public_routes():
        if "<str:token>" in route:
            urls += [url_for(route, token) for token in real]
        else:
            urls.append(url_for(route))
    return sorted(set(urls))


def directives(header: str) -> dict[str, str]:
    parts = [part.strip().split(None, 1) for part in header.split(";") if part.strip()]
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


# Content-Security-Policy and Permissions-Policy ----------------------------------------------------------------


def test_the_walk_finds_the_public_pages():
    routes = {route for route, _entry in public_routes()}
    assert {"bli-ambassador/", "tipsa/", "integritet/", "tillganglighet/", "mina-sidor/"} <= routes
    assert "avregistrera/<str:token>/" in routes


def test_every_public_page_has_the_strict_csp_and_a_permissions_policy(client, people):
    checked = 0
    for url in urls_with_tokens(people):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            policy = response.get("Content-Security-Policy")
            assert policy, f"{method.upper()} {url}: no Content-Security-Policy"
            assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (url, policy)
            parsed = directives(policy)
            for name, value in REQUIRED_CSP.items():
                assert parsed.get(name) == value, (url, name, parsed.get(name))
            permissions = response.get("Permissions-Policy", "")
            for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
                assert feature in permissions, (url, feature)
            checked += 1
    assert checked > 20


def test_no_public_page_has_an_inline_script_or_style(client, people):
    """What 'no page needs unsafe-inline' means in the HTML: no <script> or <style> element, no style= or on…=
    attribute (the browser tests also check that Chromium reports no violation)."""
    import re

    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)
    for url in urls_with_tokens(people):
        response = client.get(url)
        if response.get("Content-Type", "").startswith("text/html"):
            found = inline.search(response.content.decode())
            assert found is None, f"{url}: {found.group(0) if found else ''}"


def test_the_admin_has_its_own_policy_that_still_forbids_framing_plugins_and_other_origins(admin_client):
    response = admin_client.get("/admin/")
    assert response["Content-Security-Policy"] == ADMIN_POLICY
    parsed = directives(ADMIN_POLICY)
    assert parsed["default-src"] == "'self'" and parsed["frame-ancestors"] == "'none'"
    assert parsed["object-src"] == "'none'" and parsed["form-action"] == "'self'"
    assert "camera=()" in response["Permissions-Policy"]
    assert PUBLIC_POLICY != ADMIN_POLICY


# Rate limits on every public POST --------------------------------------------------------------------------------


def test_every_public_post_is_rate_limited_per_address(settings, people):
    """POST_RATE_LIMIT posts from one address to a page, then 429 whatever was posted. The one exception is the
    RFC 8058 one-click unsubscribe (below): mail providers send it from shared addresses for all their users."""
    settings.POST_RATE_LIMIT, settings.POST_RATE_LIMIT_PER_TOKEN = 3, 0
    limited = []
    for number, url in enumerate(urls_with_tokens(people)):
        client = Client(REMOTE_ADDR=f"192.0.2.{number + 1}")
        statuses = [client.post(url, {"email": "x"}).status_code for _ in range(3)]
        over = client.post(url, {"email": "x"})
        assert over.status_code == 429, (url, statuses, over.status_code)
        assert int(over["Retry-After"]) > 0
        # Another address is not held back.
        assert Client(REMOTE_ADDR=f"198.51.100.{number + 1}").post(url, {"email": "x"}).status_code != 429, url
        limited.append(url)
    assert any("bli-ambassador" in url for url in limited) and any("mina-sidor" in url for url in limited)


def test_a_post_to_a_link_is_limited_per_token_from_any_address(settings, people):
    settings.POST_RATE_LIMIT, settings.POST_RATE_LIMIT_PER_TOKEN = 0, 2
    application, _ambassador = people
    url = f"/bekrafta/{token_make('confirm', application.pk)}/"
    statuses = [Client(REMOTE_ADDR=f"192.0.2.{n}").post(url).status_code for n in range(1, 4)]
    assert statuses[:2] != [429, 429] and statuses[2] == 429


def test_one_click_unsubscribe_answers_200_over_the_limit_and_is_limited_per_token_only(settings, people):
    settings.POST_RATE_LIMIT, settings.POST_RATE_LIMIT_PER_TOKEN = 1, 2
    _application, ambassador = people
    url = f"/avregistrera/{token_make('unsubscribe', [ambassador.pk, 'newsletter', None])}/"
    provider = Client(REMOTE_ADDR="203.0.113.5")  # one of a mail provider's few addresses
    responses = [provider.post(url, {"List-Unsubscribe": "One-Click"}) for _ in range(4)]
    assert [response.status_code for response in responses] == [200, 200, 200, 200]
    assert Unsubscribe.objects.filter(ambassador=ambassador, source=Unsubscribe.Source.ONE_CLICK).count() == 1
    # Another person's one-click from the same provider address goes through: not limited per address.
    other = AmbassadorFactory(first_name="Bo", last_name="Berg", email="bo@example.org")
    other_url = f"/avregistrera/{token_make('unsubscribe', [other.pk, 'newsletter', None])}/"
    assert provider.post(other_url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Unsubscribe.objects.filter(ambassador=other).exists()


def test_the_admin_and_the_webhooks_are_not_counted(settings, admin_client):
    settings.POST_RATE_LIMIT = 1
    for _ in range(3):
        assert admin_client.post("/admin/network/ambassador/", {}).status_code != 429


# Export and import are permissions of their own ----------------------------------------------------------------


def staff_with(django_user_model, *codenames: str) -> Client:
    user = django_user_model.objects.create_user(f"handlaggare-{'-'.join(codenames)}", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="network", codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


EXPORT = "/admin/network/ambassador/export/"
IMPORT = "/admin/network/ambassador/import/"


def test_viewing_ambassadors_is_not_enough_to_export_them(django_user_model, people):
    client = staff_with(django_user_model, "view_ambassador")
    assert client.get("/admin/network/ambassador/").status_code == 200
    assert client.get(EXPORT).status_code == 403
    assert client.post(EXPORT, {"format": "0"}).status_code == 403
    assert EXPORT not in client.get("/admin/network/ambassador/").content.decode()


def test_the_export_permission_without_view_is_not_enough_either(django_user_model):
    assert staff_with(django_user_model, "export_ambassador").get(EXPORT).status_code == 403


def test_view_and_export_permissions_export(django_user_model, people):
    client = staff_with(django_user_model, "view_ambassador", "export_ambassador")
    assert client.get(EXPORT).status_code == 200
    assert EXPORT in client.get("/admin/network/ambassador/").content.decode()


def test_importing_needs_the_import_permission(django_user_model):
    assert (
        staff_with(django_user_model, "view_ambassador", "add_ambassador", "change_ambassador").get(IMPORT).status_code
        == 403
    )
    assert staff_with(django_user_model, "import_ambassador").get(IMPORT).status_code == 200
