"""Staff see only what their permissions allow.

The matrix is read from the URL configuration itself: every URL pattern under /admin/ (the admin site's own
pages, every registered ModelAdmin's get_urls, and crm's pages such as the local mailbox, which exists only
with DEBUG on), for four visitors: anonymous, staff without permissions, staff with only the view permission of
the page's model, and a superuser. A page added later without a permission check fails here, without anyone
having to add it to a list.

Every object the pages can show carries SECRET in a text field; staff without permissions never see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.regex_helper import normalize

import crm.urls
from campaigns.models import Campaign, Delivery, Enrollment, Segment, Sequence, Suppression, Unsubscribe
from crm.models import AuditEntry, RetentionRun
from crm.tokens import TokenInvalid, token_read
from network.models import Ambassador, Application, ConsentRecord, Event, Interest, Locality, RecruitmentContact
from pages.models import Page
from tests.factories import (
    AmbassadorFactory,
    ApplicationFactory,
    AuditEntryFactory,
    CampaignFactory,
    ConsentRecordFactory,
    DeliveryFactory,
    EnrollmentFactory,
    EventFactory,
    InterestFactory,
    LocalityFactory,
    PageFactory,
    RecruitmentContactFactory,
    RegistrationFactory,
    RetentionRunFactory,
    SegmentFactory,
    SequenceFactory,
    StepFactory,
    SuppressionFactory,
    UnsubscribeFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "Zqxhemlig"
ROLES = ["anonymous", "staff", "viewer", "superuser"]
# Parameters whose value is the primary key of an object of the page's model.
OBJECT_PARAMETERS = {"object_id", "pk", "id"}
# What is never compared: sessions change on every logged-in request, axes counts login attempts.
UNTRACKED_APPS = {"sessions", "axes"}
# The audit log records who looked at a person: a GET of an ambassador's page writes it, by design
# (tests/crm/test_audit.py checks that only those who see the page are logged).
UNTRACKED_MODELS = {"crm.AuditEntry"}
# The ModelAdmin pages that the view permission alone opens.
VIEW_PAGES = {"changelist", "change", "history"}


# The URL configuration ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    chain: tuple  # the URLResolvers from the root to the URLPattern of the view
    debug_only: bool
    fixed: tuple = ()  # parameters chosen at collection time, such as an app index's app_label

    @property
    def text(self) -> str:
        return "".join(str(entry.pattern) for entry in self.chain)

    @property
    def name(self) -> str | None:
        return self.chain[-1].name

    @property
    def model_admin(self):
        """The ModelAdmin whose get_urls() holds this page, if any."""
        for parent, child in zip(self.chain, self.chain[1:-1], strict=False):
            if isinstance(parent, URLResolver) and parent.namespace == admin.site.name:
                for model, model_admin in admin.site._registry.items():
                    if str(child.pattern) == f"{model._meta.app_label}/{model._meta.model_name}/":
                        return model_admin
        return None

    @property
    def model(self):
        return self.model_admin.model if self.model_admin else None

    def __str__(self) -> str:
        return self.text + "".join(f"[{key}={value}]" for key, value in self.fixed)


def walk(patterns, chain=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, (*chain, entry))
        else:
            yield (*chain, entry)


def admin_routes() -> list[Route]:
    chains = [(chain, False) for chain in walk(get_resolver().url_patterns)]
    chains += [(chain, True) for chain in walk(crm.urls.debug_urlpatterns)]
    app_labels = sorted({model._meta.app_label for model in admin.site._registry})
    routes = []
    for chain, debug_only in chains:
        route = Route(chain, debug_only)
        if not route.text.startswith("admin/"):
            continue
        if "app_label" in route.chain[-1].pattern.regex.groupindex:
            routes += [Route(chain, debug_only, (("app_label", label),)) for label in app_labels]
        else:
            routes.append(route)
    return routes


ROUTES = admin_routes()


def test_the_matrix_sees_every_kind_of_admin_page():
    names = {route.name for route in ROUTES}
    assert {"index", "login", "network_ambassador_import", "campaigns_campaign_preview", "mailbox"} <= names
    assert {route.model for route in ROUTES} >= set(admin.site._registry)


# What the pages show -----------------------------------------------------------------------------------------


@pytest.fixture
def admin_objects(settings, tmp_path, django_user_model):
    """One object of every model registered in the admin, each carrying SECRET; and a stored email."""
    locality = LocalityFactory(name=f"{SECRET}by")
    interest = InterestFactory(name=f"{SECRET}intresse")
    ambassador = AmbassadorFactory(first_name=SECRET, email=f"{SECRET.lower()}@example.se", locality=locality)
    application = ApplicationFactory(first_name=SECRET)
    sequence = SequenceFactory(slug="hemlig", name=SECRET)
    StepFactory(sequence=sequence, subject=SECRET, body=SECRET)
    segment = SegmentFactory(name=SECRET)
    campaign = CampaignFactory(
        name=SECRET, subject=f"Hej {SECRET}", body=f"Hej {{{{ first_name }}}}, {SECRET}", segment=segment
    )
    user = django_user_model.objects.create_user(SECRET.lower(), f"{SECRET.lower()}@kramfors.se")
    now = timezone.now()
    event = EventFactory(title=SECRET, starts_at=now, ends_at=now, place=SECRET, is_training=True)
    RegistrationFactory(event=event, ambassador=ambassador)
    objects = {
        Locality: locality,
        Interest: interest,
        Ambassador: ambassador,
        Application: application,
        ConsentRecord: ConsentRecordFactory(ambassador=ambassador),
        RecruitmentContact: RecruitmentContactFactory(name=SECRET),
        Sequence: sequence,
        Enrollment: EnrollmentFactory(ambassador=ambassador, sequence=sequence),
        Delivery: DeliveryFactory(campaign=campaign, ambassador=ambassador, to_name=SECRET),
        Unsubscribe: UnsubscribeFactory(ambassador=ambassador),
        Suppression: SuppressionFactory(email=f"{SECRET.lower()}@bounce.example.se"),
        Segment: segment,
        Campaign: campaign,
        django_user_model: user,
        Group: Group.objects.create(name=SECRET),
        # Ids and counts only, by design: no text field can hold SECRET.
        AuditEntry: AuditEntryFactory(ambassador_id=ambassador.pk, actor=user),
        RetentionRun: RetentionRunFactory(counts={SECRET: 1}),
        Event: event,
        Page: PageFactory(title=SECRET, body=SECRET),
    }
    missing = [model._meta.label for model in admin.site._registry if model not in objects]
    assert not missing, f"add an object of {missing} (with SECRET in a text field) to admin_objects"

    settings.MAILBOX_DIR = tmp_path / "mailbox"
    settings.MAILBOX_DIR.mkdir()
    message = EmailMessage()
    message["Subject"], message["To"] = f"Hej {SECRET}", ambassador.email
    message.set_content(SECRET)
    (settings.MAILBOX_DIR / "20260101-000000-abcdef12.eml").write_bytes(bytes(message))
    return objects


def values_for(route: Route, objects: dict) -> dict[str, str]:
    obj = objects.get(route.model)
    values = {
        "app_label": dict(route.fixed).get("app_label", ""),
        "content_type_id": str(ContentType.objects.get_for_model(Ambassador).pk),
        "name": "20260101-000000-abcdef12.eml",
        "url": "nothing-here/",
    }
    for parameter in OBJECT_PARAMETERS:
        values[parameter] = str(obj.pk if obj is not None else objects[Ambassador].pk)
    return values


def url_of(route: Route, objects: dict) -> str:
    """A concrete URL for the route, its parameters filled from real objects, checked to resolve to its view."""
    values = values_for(route, objects)
    path = ""
    for entry in route.chain:
        candidates = [
            (fmt, params) for fmt, params in normalize(entry.pattern.regex.pattern) if set(params) <= set(values)
        ]
        assert candidates, f"{route}: fill the parameters of {entry.pattern} in values_for()"
        fmt, params = candidates[0]
        path += fmt % {param: values[param] for param in params}
    url = f"/{path}"
    assert resolve(url).func == route.chain[-1].callback, f"{url} does not reach {route}"
    return url + query_for(route, objects)


def query_for(route: Route, objects: dict) -> str:
    if route.name == "autocomplete":  # the autocomplete view needs to know which field asks
        for model, model_admin in admin.site._registry.items():
            for field in model_admin.autocomplete_fields:
                return f"?app_label={model._meta.app_label}&model_name={model._meta.model_name}&field_name={field}"
    return ""


def database_state() -> dict:
    state = {"mail": len(mail.outbox)}
    for model in apps.get_models():
        if model._meta.app_label not in UNTRACKED_APPS and model._meta.label not in UNTRACKED_MODELS:
            state[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return state


def posts_for(route: Route, objects: dict) -> list[dict]:
    """What a curious or malicious member of staff might post: every admin action of a list on its objects,
    the list's inline editing, and the fields that make the custom pages act."""
    if route.model_admin and route.name and route.name.endswith("_changelist"):
        model_admin = route.model_admin
        names = [name for name, _func in admin.site.actions]
        names += [action if isinstance(action, str) else action.__name__ for action in model_admin.actions or []]
        selected = [str(objects[route.model].pk)]
        return [
            {"action": name, "_selected_action": selected, "index": "0", "apply": "1", "post": "yes"} for name in names
        ] + [{"_save": "1"}]
    return [{"action": "cancel", "test": "1", "post": "yes", "send_at": "", "body": SECRET, "token": "x"}]


# The visitors ------------------------------------------------------------------------------------------------


def client_for(role: str, route: Route, django_user_model) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    if role == "superuser":
        user = django_user_model.objects.create_superuser("root", "root@kramfors.se")
    else:
        user = django_user_model.objects.create_user(role, is_staff=True)
    if role == "viewer":
        if route.model is not None:  # only the view permission of the page's model
            content_type = ContentType.objects.get_for_model(route.model)
            permissions = Permission.objects.filter(
                content_type=content_type, codename=f"view_{route.model._meta.model_name}"
            )
        else:  # a page of no model: every view permission
            permissions = Permission.objects.filter(codename__startswith="view_")
        assert permissions, route
        user.user_permissions.set(permissions)
    client.force_login(user)
    return client


def superuser_may(route: Route, superuser, objects: dict, method: str = "GET") -> bool:
    """False only where the ModelAdmin itself refuses everyone (adding log rows or deliveries by hand, saving a
    read-only log entry, …)."""
    model_admin = route.model_admin
    if model_admin is None or not route.name:
        return True
    request = RequestFactory().get("/admin/")
    request.user = superuser
    obj = objects[route.model]
    return {
        "add": lambda: model_admin.has_add_permission(request),
        "delete": lambda: model_admin.has_delete_permission(request, obj),
        "change": lambda: method == "GET" or model_admin.has_change_permission(request, obj),
    }.get(page_of(route), lambda: True)()


def page_of(route: Route) -> str | None:
    """Which of a ModelAdmin's own pages this is ("changelist", "add", "change", …), or None."""
    if route.model is None or not route.name:
        return None
    prefix = f"{route.model._meta.app_label}_{route.model._meta.model_name}_"
    page = route.name.removeprefix(prefix)
    return page if route.name.startswith(prefix) and page in {*VIEW_PAGES, "add", "delete"} else None


def shows_secret(response) -> bool:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return SECRET.lower().encode() in content.lower()


# The matrix --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_admin_page_checks_the_visitors_permissions(route, admin_objects, django_user_model, request):
    if route.debug_only:
        request.getfixturevalue("debug_urls")
    url = url_of(route, admin_objects)
    login = reverse("admin:login")
    model_page = route.model is not None
    problems = []

    def check(role, method, response, ok: bool, expected: str):
        if not ok:
            problems.append(f"{role} {method} {url}: {response.status_code}, expected {expected}")

    for role in ROLES:
        client = client_for(role, route, django_user_model)
        requests = [("GET", None)] + [("POST", data) for data in posts_for(route, admin_objects)]
        if role == "superuser":
            requests = [("GET", None), ("POST", {})]
        for method, data in requests:
            before = database_state()
            response = client.get(url) if method == "GET" else client.post(url, data)
            status = response.status_code
            unchanged = database_state() == before
            if method == "GET" or role != "superuser":
                check(role, method, response, unchanged, "no change to the database")
            check(role, method, response, status < 500, "no server error")
            if role == "anonymous":
                if url.startswith(login):
                    check(role, method, response, status == 200, "the login page")
                else:
                    location = response.get("Location", "")
                    to_login = status == 302 and (location.startswith(f"{login}?next=") or location == "/admin/")
                    check(role, method, response, to_login, "a redirect to the login page")
            if role in ("anonymous", "staff"):
                check(role, method, response, not shows_secret(response), "nothing of any model")
                allowed = {302, 403, 404, 405} if model_page else {200, 302, 403, 404, 405}
                if role == "staff":
                    check(role, method, response, status in allowed, "403 (or a redirect or 404)")
            if role == "viewer" and method == "GET" and page_of(route) in VIEW_PAGES:
                check(role, method, response, status == 200, "the page, read-only")
            if role == "superuser" and superuser_may(
                route, django_user_model.objects.get(username="root"), admin_objects, method
            ):
                check(role, method, response, status != 403, "not 403")
    assert not problems, "\n".join(problems)


# The campaign pages of the issue, spelled out ------------------------------------------------------------------


def staff_with(django_user_model, *codenames: str) -> Client:
    user = django_user_model.objects.create_user("handlaggare", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def campaign_url(campaign: Campaign, page: str) -> str:
    return reverse(f"admin:campaigns_campaign_{page}", args=[campaign.pk])


def test_staff_without_permissions_cannot_preview_follow_or_render_a_campaign(admin_objects, django_user_model):
    client = staff_with(django_user_model)
    campaign, ambassador = admin_objects[Campaign], admin_objects[Ambassador]
    for response in (
        client.get(campaign_url(campaign, "preview"), {"ambassador": ambassador.pk}),
        client.get(campaign_url(campaign, "progress")),
        client.post(reverse("admin:campaigns_campaign_markdown"), {"body": "**hej**"}),
    ):
        assert response.status_code == 403
        assert not shows_secret(response)


def test_the_campaign_view_permission_alone_shows_no_ambassadors_name(admin_objects, django_user_model):
    client = staff_with(django_user_model, "view_campaign")
    campaign, ambassador = admin_objects[Campaign], admin_objects[Ambassador]
    assert client.get(campaign_url(campaign, "preview"), {"ambassador": ambassador.pk}).status_code == 403

    own = client.get(campaign_url(campaign, "preview"))  # as the user themself
    assert own.status_code == 200
    assert f"{SECRET} i {SECRET}by" not in own.content.decode()

    page = client.get(campaign_url(campaign, "change"))
    assert page.status_code == 200
    assert page.context["recipients"] is None and list(page.context["failed"]) == []
    assert ambassador.email not in page.content.decode()


def test_with_the_ambassador_view_permission_too_the_preview_shows_the_chosen_recipient(
    admin_objects, django_user_model
):
    client = staff_with(django_user_model, "view_campaign", "view_ambassador")
    campaign, ambassador = admin_objects[Campaign], admin_objects[Ambassador]
    response = client.get(campaign_url(campaign, "preview"), {"ambassador": ambassador.pk})
    assert response.status_code == 200
    assert f"Hej {SECRET}, {SECRET}" in response.content.decode()
    assert client.get(campaign_url(campaign, "change")).context["recipients"] is not None


def test_the_view_permission_alone_cannot_send_control_or_write(admin_objects, django_user_model):
    client = staff_with(django_user_model, "view_campaign", "view_segment")
    campaign = admin_objects[Campaign]
    assert client.get(campaign_url(campaign, "progress")).status_code == 200
    assert client.post(reverse("admin:campaigns_segment_count"), {}).status_code == 200  # counting writes nothing
    for method, url, data in [
        ("get", campaign_url(campaign, "send"), {}),
        ("post", campaign_url(campaign, "send"), {"send_at": ""}),
        ("post", campaign_url(campaign, "send"), {"test": "1"}),
        ("post", campaign_url(campaign, "control"), {"action": "cancel"}),
        ("post", reverse("admin:campaigns_campaign_markdown"), {"body": "x"}),
    ]:
        assert getattr(client, method)(url, data).status_code == 403, (method, url, data)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not Delivery.objects.filter(is_test=True).exists()
    page = client.get(campaign_url(campaign, "change")).content.decode()
    assert campaign_url(campaign, "send") not in page  # no button that can only answer 403


def unsubscribe_paths(html: str) -> list[str]:
    return [href.removeprefix("http://testserver") for href in re.findall(r'href="([^"]*/avregistrera/[^"]*)"', html)]


def test_a_preview_links_to_an_unsubscribe_page_that_unsubscribes_nobody(admin_objects, coordinator_client):
    campaign, ambassador = admin_objects[Campaign], admin_objects[Ambassador]
    Unsubscribe.objects.all().delete()
    html = coordinator_client.get(campaign_url(campaign, "preview"), {"ambassador": ambassador.pk}).content.decode()
    paths = unsubscribe_paths(html)

    assert paths, "the preview shows where the unsubscribe link goes"
    for path in paths:
        token = path.removeprefix("/avregistrera/").split("/")[0]
        with pytest.raises(TokenInvalid):
            token_read("unsubscribe", token)
        visitor = Client()
        response = visitor.get(path)
        assert response.status_code == 200
        assert "campaigns/unsubscribe_test.html" in [template.name for template in response.templates]
        assert visitor.post(path).status_code == 200
        assert visitor.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not Unsubscribe.objects.exists()
    ambassador.refresh_from_db()
    assert ambassador.wants_newsletters


def test_a_preview_without_a_chosen_recipient_is_filled_with_ones_own_name(
    admin_objects, coordinator, coordinator_client
):
    coordinator.first_name, coordinator.last_name = "Kim", "Koordinator"
    coordinator.save()
    response = coordinator_client.get(campaign_url(admin_objects[Campaign], "preview"))
    assert response.status_code == 200
    assert f"Hej Kim, {SECRET}" in response.content.decode()
