"""No error page anywhere in the coordinator's path.

Logged in as the demo coordinator of `make run` (seed_demo, DEBUG on), in Swedish, every admin page is opened:
the index and each app's page, and for every model in the admin registry its list, add form, the change page,
history and delete page of its objects, every page of the ModelAdmin's own get_urls() (preview, progress, send,
import, export, …) and every admin action's intermediate page. The list is read from the registry, so a page
added later is covered without anyone adding it here. Campaigns are visited in each of their states.
"""

from __future__ import annotations

import traceback
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import crm.urls
from campaigns.models import Campaign, Delivery, Enrollment, Segment, Sequence, Suppression, Unsubscribe
from campaigns.services.sequences import enroll
from crm.models import AuditEntry, RetentionRun
from network.models import Ambassador, Application, ConsentRecord, Event, Interest, Locality, RecruitmentContact
from pages.models import Page
from tests.factories import (
    ApplicationFactory,
    AuditEntryFactory,
    CampaignFactory,
    ConsentRecordFactory,
    DeliveryFactory,
    EventFactory,
    PageFactory,
    RecruitmentContactFactory,
    RegistrationFactory,
    RetentionRunFactory,
    SegmentFactory,
    SuppressionFactory,
    UnsubscribeFactory,
)

# The URL configuration of `make run` (DEBUG on: the local mailbox routed), from crm.urls' own patterns. Not by
# reloading crm.urls, which would build the admin's views anew under the other tests' feet.
urlpatterns = [*crm.urls.debug_urlpatterns, *crm.urls.urlpatterns]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# The ModelAdmin pages every model has; anything else in get_urls() is a custom page.
STANDARD_PAGES = {"changelist", "add", "history", "delete", "change"}


@pytest.fixture
def demo_coordinator(settings, seed_data, tmp_path):
    """`make run`'s coordinator: seed_demo's ambassadors and login (DEBUG on, the mailbox routed)."""
    settings.DEBUG = True
    settings.MAILBOX_DIR = tmp_path / "mailbox"
    settings.MAILBOX_DIR.mkdir()
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123 - discarded output
    user = get_user_model().objects.get(username="koordinator")
    assert not user.email, "the demo coordinator has no address: the pages must cope"
    client = Client(HTTP_ACCEPT_LANGUAGE="sv")
    client.cookies["django_language"] = "sv"
    client.force_login(user)
    return client


def campaigns_in_every_state() -> list[Campaign]:
    """A campaign in each state the coordinator meets, with rows where the state has them."""
    audience = SegmentFactory()
    made = []
    for status in Campaign.Status:
        made.append(
            CampaignFactory(
                name=f"Brev {status.value}",
                body="Hej {{ first_name }} i {{ locality }}!\n\n**Välkommen** till träffen.",
                segment=audience,
                status=status,
                scheduled_at=timezone.now() if status != Campaign.Status.DRAFT else None,
            )
        )
    people = list(Ambassador.objects.filter(email__isnull=False).order_by("pk")[:4])
    started = [c for c in made if c.status in ("sending", "paused", "sent", "cancelled")]
    for campaign in started:
        Campaign.objects.filter(pk=campaign.pk).update(started_at=timezone.now(), fanned_out_at=timezone.now())
        for person, status in zip(people, ["sent", "failed", "queued", "skipped"], strict=True):
            DeliveryFactory(
                campaign=campaign,
                ambassador=person,
                status=status,
                last_error="550 5.1.1 Mailbox does not exist" if status == "failed" else "",
            )
    return made


def event_with_answers(ambassador: Ambassador) -> Event:
    """A past training someone said yes to: its page, its attendance page and its export all have content."""
    starts = timezone.now() - timedelta(days=2)
    event = EventFactory(
        title="Dialog och värdskap",
        kind=Event.Kind.TRAINING,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        place="Kramfors stadshus",
        capacity=20,
        is_training=True,
    )
    RegistrationFactory(event=event, ambassador=ambassador, answered_at=starts - timedelta(days=5))
    return event


def objects_of_every_model() -> dict:
    """Objects of every registered model (several campaigns: one per state)."""
    ambassador = Ambassador.objects.filter(email__isnull=False).order_by("pk").first()
    campaigns = campaigns_in_every_state()
    sequence = Sequence.objects.get(slug=Sequence.ONBOARDING)
    enroll(ambassador=ambassador)
    objects = {
        Locality: [Locality.objects.first()],
        Interest: [Interest.objects.first()],
        Ambassador: [ambassador],
        Application: [
            ApplicationFactory(),
            ApplicationFactory(status="confirmed", confirmed_at=timezone.now()),
        ],
        ConsentRecord: [ConsentRecordFactory(ambassador=ambassador)],
        RecruitmentContact: [RecruitmentContactFactory(contact_details="070-111 22 33")],
        Sequence: [sequence],
        Enrollment: [Enrollment.objects.get(ambassador=ambassador, sequence=sequence)],
        Delivery: [
            Delivery.objects.filter(campaign__isnull=False).first(),
            Delivery.objects.filter(step__isnull=False).first(),
        ],
        Unsubscribe: [UnsubscribeFactory(ambassador=ambassador)],
        Suppression: [SuppressionFactory()],
        Segment: [campaigns[0].segment],
        Campaign: campaigns,
        get_user_model(): [get_user_model().objects.get(username="koordinator")],
        Group: [Group.objects.create(name="Samordnare")],
        AuditEntry: [AuditEntryFactory(ambassador_id=ambassador.pk)],
        RetentionRun: [RetentionRunFactory(counts={"alumni": 0})],
        Event: [event_with_answers(ambassador)],
        Page: [PageFactory()],
    }
    missing = [model._meta.label for model in admin.site._registry if model not in objects]
    assert not missing, f"add an object of {missing} to objects_of_every_model()"
    return objects


def pages_of(model, model_admin, objects: list) -> list[tuple[str, str]]:
    """(method, url) of every page of the ModelAdmin: its own get_urls() filled with each object's key."""
    prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
    pages = []
    for pattern in model_admin.get_urls():
        if not pattern.name:  # the bare <object_id>/ redirect to the change page
            continue
        page = pattern.name.removeprefix(prefix)
        parameters = set(pattern.pattern.regex.groupindex)
        keys = [str(obj.pk) for obj in objects] if parameters else [None]
        for key in keys:
            args = [key] if key is not None else []
            url = reverse(f"admin:{pattern.name}", args=args)
            pages.append(("GET", url))
            if page not in STANDARD_PAGES:
                pages.append(("POST", url))  # a custom page posted empty: a form again, a refusal, never an error
    return pages


def action_pages(model, model_admin, objects: list, client_request) -> list[tuple[str, str, dict]]:
    """Each admin action of the list, chosen on an object: its intermediate page (or its result)."""
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    actions = model_admin.get_actions(client_request)
    return [
        ("POST", changelist, {"action": name, ACTION_CHECKBOX_NAME: [str(objects[0].pk)], "index": "0"})
        for name in actions
    ]


def test_every_admin_page_opens_without_an_error_for_the_demo_coordinator(demo_coordinator, rf):
    objects = objects_of_every_model()
    user = get_user_model().objects.get(username="koordinator")
    request = rf.get("/admin/")
    request.user = user

    requests: list[tuple[str, str, dict | None]] = [("GET", reverse("admin:index"), None)]
    requests += [
        ("GET", reverse("admin:app_list", args=[label]), None)
        for label in sorted({model._meta.app_label for model in admin.site._registry})
    ]
    requests += [("GET", reverse("mailbox"), None), ("GET", reverse("admin:password_change"), None)]
    visible = []
    for model, model_admin in admin.site._registry.items():
        requests += [(method, url, None) for method, url in pages_of(model, model_admin, objects[model])]
        requests += action_pages(model, model_admin, objects[model], request)
        if model_admin.has_view_permission(request):
            visible.append(model)
    campaign = objects[Campaign][0]
    requests.append(("GET", reverse("admin:campaigns_campaign_preview", args=[campaign.pk]), None))  # as oneself

    errors, answered = [], {}
    for method, url, data in requests:
        try:
            response = demo_coordinator.get(url) if method == "GET" else demo_coordinator.post(url, data or {})
        except Exception:  # noqa: BLE001 - every failing page is listed, not just the first
            errors.append(f"{method} {url} {data or ''}\n{traceback.format_exc(limit=-3)}")
            continue
        answered.setdefault((method, url), response.status_code)
        if response.status_code >= 500:
            errors.append(f"{method} {url} {data or ''}: {response.status_code}")
    assert not errors, f"{len(errors)} of {len(requests)} pages failed:\n" + "\n".join(errors)
    assert {Ambassador, Application, RecruitmentContact, Campaign, Enrollment} <= set(visible)
    assert len(requests) > 150
    # Where the coordinator puts imported members through onboarding: offered, and it opens.
    assert answered[("GET", reverse("admin:campaigns_enrollment_add"))] == 200
    assert admin.site.get_model_admin(Enrollment).has_add_permission(request)


def test_the_pages_are_in_swedish(demo_coordinator):
    page = demo_coordinator.get(reverse("admin:network_ambassador_changelist")).content.decode()
    assert 'lang="sv"' in page and "Ambassadörer" in page
