"""The coordinator's campaign pages in the admin: writing, the send page with its checklist, a test to oneself,
sending, live progress, pause/resume/cancel, preview as a recipient, the Markdown preview and the report."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign, Delivery
from campaigns.services.newsletters import campaigns_start_due
from campaigns.services.outbox import deliveries_send
from tests.factories import AmbassadorFactory, CampaignFactory, SegmentFactory, start_sending

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(coordinator, coordinator_client):
    coordinator.email = "koordinator@kramfors.se"
    coordinator.first_name, coordinator.last_name = "Kim", "Koordinator"
    coordinator.save()
    coordinator_client.cookies["django_language"] = "en"
    return coordinator_client


def url(target: Campaign, page: str = "change") -> str:
    return f"/admin/campaigns/campaign/{target.pk}/{page}/"


def form(audience, **fields) -> dict:
    return {
        "name": "Vårbrevet",
        "kind": "newsletter",
        "subject": "Hej {{ first_name }}",
        "preheader": "",
        "body": "Hej {{ förnamn }} i {{ ort }}!",
        "segment": audience.pk,
        **fields,
    }


def test_a_campaign_with_known_merge_fields_is_saved(admin):
    response = admin.post("/admin/campaigns/campaign/add/", form(SegmentFactory()))
    assert response.status_code == 302
    assert Campaign.objects.get().status == Campaign.Status.DRAFT


@pytest.mark.parametrize("field", ["subject", "body"])
def test_an_unknown_merge_field_is_a_validation_error_when_adding(admin, field):
    response = admin.post(
        "/admin/campaigns/campaign/add/", form(SegmentFactory(), **{field: "Din skostorlek: {{ shoe_size }}"})
    )

    assert response.status_code == 200
    assert "shoe_size" in response.content.decode()
    assert response.context["adminform"].form.errors
    assert not Campaign.objects.exists()


def test_an_unknown_merge_field_is_a_validation_error_when_changing(admin):
    target = CampaignFactory()
    response = admin.post(url(target), form(target.segment, body="{{ shoe_size }}"))

    assert response.status_code == 200
    assert "shoe_size" in response.content.decode()
    target.refresh_from_db()
    assert "shoe_size" not in target.body


def test_the_send_page_shows_the_checklist(admin):
    AmbassadorFactory.create_batch(3)
    response = admin.get(url(CampaignFactory(), "send"))

    page = response.content.decode()
    assert response.status_code == 200
    assert [label for label, _ok in response.context["checklist"]]
    assert all(ok for _label, ok in response.context["checklist"])
    assert "3 recipients" in page and page.count("icon-yes.svg") == 5  # a mark every font shows, not an emoji
    assert "Send now…" in page and "Schedule…" in page


def test_the_send_page_offers_no_send_button_while_the_checklist_fails(admin):
    response = admin.get(url(CampaignFactory(), "send"))  # nobody in the audience
    page = response.content.decode()
    assert "icon-no.svg" in page and "0 recipients" in page
    assert "Send now…" not in page
    response = admin.post(url(CampaignFactory(name="Annan"), "send"), {"mode": "now", "confirm": "yes"})
    assert response.status_code == 200
    assert not Campaign.objects.exclude(status=Campaign.Status.DRAFT).exists()


def test_send_a_test_to_me_queues_a_delivery_to_the_users_email(admin, django_capture_on_commit_callbacks):
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin.post(url(target, "send"), {"test": "1", "recipients": "koordinator@kramfors.se"})

    assert response.status_code == 302
    test = Delivery.objects.get(campaign=target)
    assert (test.to_email, test.ambassador, test.status) == ("koordinator@kramfors.se", None, Delivery.Status.QUEUED)
    assert len(callbacks) == 1
    target.refresh_from_db()
    assert target.status == Campaign.Status.DRAFT


def test_sending_from_the_send_page_asks_first_then_schedules_once(admin, django_capture_on_commit_callbacks):
    AmbassadorFactory.create_batch(3)
    target = CampaignFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        asked = admin.post(url(target, "send"), {"mode": "now", "send_at": ""})
    assert asked.status_code == 200
    assert "Send to 3 people now?" in asked.content.decode()
    assert "Hej [first name], nytt från Kramfors" in asked.content.decode()  # the subject
    assert not callbacks
    target.refresh_from_db()
    assert target.status == Campaign.Status.DRAFT

    with django_capture_on_commit_callbacks(execute=False):
        response = admin.post(url(target, "send"), {"mode": "now", "send_at": "", "confirm": "yes"}, follow=True)
    assert "The campaign is being sent now, to 3 people." in response.content.decode()
    target.refresh_from_db()
    assert target.status in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING)

    campaigns_start_due()
    assert Delivery.objects.filter(campaign=target).count() == 3

    second = admin.post(url(target, "send"), {"mode": "now", "send_at": "", "confirm": "yes"}, follow=True)
    assert "Nothing was sent again" in second.content.decode()
    assert campaigns_start_due() == 0
    assert Delivery.objects.filter(campaign=target).count() == 3


def test_a_send_time_is_read_as_swedish_time(admin):
    AmbassadorFactory()
    target = CampaignFactory()
    asked = admin.post(url(target, "send"), {"mode": "schedule", "send_at": "2030-06-01T08:00"})
    assert "Schedule for 1 person on 1 jun 2030 at 08:00?" in asked.content.decode()
    response = admin.post(url(target, "send"), {"mode": "schedule", "send_at": "2030-06-01T08:00", "confirm": "yes"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == Campaign.Status.SCHEDULED
    assert target.scheduled_at == datetime(2030, 6, 1, 8, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


def test_the_progress_endpoint_returns_the_numbers_as_json(admin, smtp_server):
    AmbassadorFactory.create_batch(3)
    AmbassadorFactory(email=None, phone="+46700000001")
    target = CampaignFactory()
    ids = start_sending(target)
    deliveries_send(ids[:1])

    data = admin.get(url(target, "progress")).json()
    assert [data[key] for key in ("sent", "failed", "skipped", "remaining", "total", "percent")] == [1, 0, 1, 2, 4, 33]
    assert "per_minute" in data and data["status"]


def test_pause_resume_and_cancel_through_the_control_endpoint(admin):
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    start_sending(target)

    for action, status in (("pause", "paused"), ("resume", "sending"), ("cancel", "cancelled")):
        response = admin.post(url(target, "control"), {"action": action, "confirm": "yes"})
        assert response.status_code == 302
        target.refresh_from_db()
        assert target.status == status
    assert set(Delivery.objects.filter(campaign=target).values_list("status", flat=True)) == {"skipped"}
    assert admin.get(url(target, "control")).status_code == 405  # POST only


def test_preview_as_a_chosen_recipient_shows_their_name(admin):
    AmbassadorFactory(first_name="Anna")
    bo = AmbassadorFactory(first_name="Bosse", last_name="Berg")
    target = CampaignFactory(body="Hej {{ first_name }} i {{ locality }}!")
    response = admin.get(url(target, "preview"), {"ambassador": bo.pk})

    assert response.status_code == 200
    assert "Hej Bosse i Kramfors!" in response.content.decode()  # no locality: the default
    assert "Anna" not in response.content.decode()
    assert "sandbox" in response["Content-Security-Policy"]


def test_preview_escapes_a_recipients_name(admin):
    person = AmbassadorFactory(first_name="<img src=x onerror=alert(1)>")
    html = admin.get(url(CampaignFactory(), "preview"), {"ambassador": person.pk}).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_change_page_offers_to_search_the_campaigns_recipients_to_preview_as(admin):
    AmbassadorFactory.create_batch(3)
    target = CampaignFactory()
    start_sending(target)
    response = admin.get(url(target))
    assert response.context["recipients"] == 3
    page = response.content.decode()
    # The search form comes after the change form's end: inside it, the browser would drop it.
    assert page.index('id="preview-as"') > page.index("</form>")


def test_the_markdown_preview_sanitises(admin):
    body = "**Fett** <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))"
    response = admin.post("/admin/campaigns/campaign/markdown/", {"body": body})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Fett</strong>" in html
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert Client().post("/admin/campaigns/campaign/markdown/", {"body": body}).status_code == 302  # staff only


def test_after_sending_the_change_page_lists_failed_deliveries_with_their_reasons(admin, smtp_server):
    AmbassadorFactory.create_batch(3)
    target = CampaignFactory()
    smtp_server.recorder.replies.append("550 5.1.1 Mailbox does not exist")
    deliveries_send(start_sending(target))
    failed = Delivery.objects.get(campaign=target, status=Delivery.Status.FAILED)

    page = admin.get(url(target)).content.decode()
    assert failed.to_email in page
    assert "Mailbox does not exist" in page
    assert "Delivered" in page


@pytest.mark.parametrize("tracking", [False, True])
def test_open_and_click_counts_show_only_when_tracking_is_on(admin, settings, smtp_server, tracking):
    settings.EMAIL_TRACKING = tracking
    AmbassadorFactory()
    target = CampaignFactory()
    deliveries_send(start_sending(target))
    Delivery.objects.filter(campaign=target).update(opened_at=timezone.now())

    page = admin.get(url(target)).content.decode()
    assert ("Opened" in page) is tracking
    assert ("Clicked" in page) is tracking
