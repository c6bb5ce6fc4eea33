"""The campaign page tells the truth and offers what fits the state (issue 9): sent is not delivered, progress and
status come from the rows, the actions of each state, taking a scheduled campaign back, duplicating, a test to
typed addresses, and the body preview in every state. In Swedish, as the coordinator reads it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Delivery
from campaigns.selectors import campaign_progress
from campaigns.services.newsletters import (
    campaign_cancel,
    campaign_pause,
    campaign_schedule,
    campaign_unschedule,
    campaigns_start_due,
)
from campaigns.services.outbox import deliveries_send
from tests.factories import AmbassadorFactory, CampaignFactory, TrackingEventFactory, start_sending

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(coordinator, coordinator_client):
    """The coordinator in Swedish, with a login that has no email address (as the demo coordinator's)."""
    coordinator_client.cookies["django_language"] = "sv"
    return coordinator_client


def url(target: Campaign, page: str = "change") -> str:
    return f"/admin/campaigns/campaign/{target.pk}/{page}/"


def page(admin, target: Campaign) -> str:
    response = admin.get(url(target))
    assert response.status_code == 200
    return response.content.decode()


def sent_with(outcomes: list[str], **fields) -> Campaign:
    """A campaign fanned out to one person per outcome, each row given that outcome, then finished."""
    for n in range(len(outcomes)):
        AmbassadorFactory(email=f"mottagare{n}@example.se")
    target = CampaignFactory(**fields)
    ids = start_sending(target)
    for pk, outcome in zip(ids, outcomes, strict=True):
        Delivery.objects.filter(pk=pk).update(status=outcome, sent_at=timezone.now() if outcome == "sent" else None)
    campaigns_start_due()
    target.refresh_from_db()
    return target


# Sent is not delivered ----------------------------------------------------------------------------------------


def test_over_plain_smtp_the_report_shows_sent_and_says_delivered_needs_the_email_service(admin, smtp_server):
    AmbassadorFactory.create_batch(7)
    target = CampaignFactory()
    deliveries_send(start_sending(target))
    assert Delivery.objects.filter(campaign=target, status="sent").count() == 7

    html = page(admin, target)
    assert "Skickade (godtagna av e-postservern): 7" in html
    assert "Levererade: – (kräver leveransbesked från e-posttjänsten)" in html
    assert "Levererade: 0" not in html


def test_with_delivery_reports_from_the_email_service_the_report_counts_them(admin, smtp_server):
    AmbassadorFactory.create_batch(3)
    target = CampaignFactory()
    deliveries_send(start_sending(target))
    Delivery.objects.filter(campaign=target).filter(pk__in=Delivery.objects.filter(campaign=target)[:2]).update(
        delivered_at=timezone.now()
    )
    TrackingEventFactory(event_type="delivered", processed=True)

    html = page(admin, target)
    assert "Skickade (godtagna av e-postservern): 3" in html
    assert "Levererade (bekräftade av e-posttjänsten): 2" in html
    assert "kräver leveransbesked" not in html


# Status and progress from the rows ----------------------------------------------------------------------------


def test_a_sent_campaign_with_failed_rows_says_so_on_its_page_in_the_list_and_in_the_progress(admin):
    target = sent_with(["sent", "sent", "failed", "failed", "failed"])
    assert target.status == Campaign.Status.SENT

    assert "Skickad – 3 misslyckades" in page(admin, target)
    assert "Skickad – 3 misslyckades" in admin.get("/admin/campaigns/campaign/").content.decode()
    data = admin.get(url(target, "progress")).json()
    assert data["status"] == "Skickad – 3 misslyckades"
    assert (data["sent"], data["failed"], data["percent"]) == (2, 3, 40)


def test_a_campaign_where_every_message_failed_never_shows_100_percent(admin):
    target = sent_with(["failed", "failed"])
    data = admin.get(url(target, "progress")).json()
    assert (data["percent"], data["sent"]) == (0, 0)
    assert data["status"] == "Inte skickad – alla 2 misslyckades"
    assert 'value="0"' in page(admin, target)  # the progress bar


def test_a_campaign_with_nobody_left_to_send_to_never_shows_100_percent(admin):
    target = sent_with(["skipped", "skipped"])  # everyone unsubscribed after the fan-out
    data = admin.get(url(target, "progress")).json()
    assert (data["percent"], data["sent"], data["skipped"]) == (0, 0, 2)
    assert data["status"] == "Klar – inget skickades (ingen kvar att skicka till)"


def test_progress_counts_only_the_messages_to_send_and_reaches_100_when_all_are_sent(admin):
    target = sent_with(["sent", "sent", "skipped"])
    data = admin.get(url(target, "progress")).json()
    assert (data["percent"], data["status"]) == (100, "Skickad")


def test_a_scheduled_campaign_shows_its_audience_as_remaining_before_the_fan_out(admin):
    AmbassadorFactory.create_batch(4)
    AmbassadorFactory(email=None, phone="+46700000009")
    target = CampaignFactory()
    campaign_schedule(campaign=target, at=timezone.now() + timedelta(days=1))

    progress = campaign_progress(target)
    assert (progress.remaining, progress.skipped, progress.sent, progress.percent) == (4, 1, 0, 0)
    data = admin.get(url(target, "progress")).json()
    assert data["remaining"] == 4 and data["status"] == "Schemalagd"
    assert 'data-field="remaining">4<' in page(admin, target)


# The actions of each state ------------------------------------------------------------------------------------

ACTIONS = {"pause": 'value="pause"', "resume": 'value="resume"', "unschedule": 'value="unschedule"'}


def offered(html: str) -> set[str]:
    found = {name for name, marker in ACTIONS.items() if marker in html}
    return found | ({"cancel"} if 'value="cancel"' in html else set())


def test_each_state_offers_only_the_actions_that_make_sense(admin):
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    assert offered(page(admin, target)) == set()  # a draft: the send page, nothing to control

    campaign_schedule(campaign=target, at=timezone.now() + timedelta(days=1))
    assert offered(page(admin, target)) == {"unschedule", "cancel"}

    Campaign.objects.filter(pk=target.pk).update(scheduled_at=timezone.now())
    campaigns_start_due()
    assert offered(page(admin, target)) == {"pause", "cancel"}

    campaign_pause(campaign=target)
    assert offered(page(admin, target)) == {"resume", "cancel"}

    campaign_cancel(campaign=target)
    assert offered(page(admin, target)) == set()


def test_cancelling_asks_first_and_cancels_only_when_confirmed(admin):
    AmbassadorFactory.create_batch(3)
    target = CampaignFactory()
    start_sending(target)

    response = admin.post(url(target, "control"), {"action": "cancel"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 meddelanden har inte skickats än" in html and 'name="confirm" value="yes"' in html
    target.refresh_from_db()
    assert target.status == Campaign.Status.SENDING

    response = admin.post(url(target, "control"), {"action": "cancel", "confirm": "yes"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == Campaign.Status.CANCELLED


def test_a_scheduled_campaign_goes_back_to_draft_is_edited_and_scheduled_again(admin):
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    campaign_schedule(campaign=target, at=timezone.now() + timedelta(days=1))

    assert admin.post(url(target, "control"), {"action": "unschedule"}).status_code == 302
    target.refresh_from_db()
    assert (target.status, target.scheduled_at) == (Campaign.Status.DRAFT, None)

    edited = {
        "name": target.name,
        "kind": target.kind,
        "subject": "Rättad rubrik",
        "preheader": "",
        "body": target.body,
        "segment": target.segment_id,
    }
    assert admin.post(url(target), edited).status_code == 302
    confirmed = {"mode": "schedule", "send_at": "2030-06-01 08:00", "confirm": "yes"}
    assert admin.post(url(target, "send"), confirmed).status_code == 302
    target.refresh_from_db()
    assert (target.status, target.subject) == (Campaign.Status.SCHEDULED, "Rättad rubrik")


def test_a_started_campaign_cannot_go_back_to_draft(admin):
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    start_sending(target)
    assert not campaign_unschedule(campaign=target)
    admin.post(url(target, "control"), {"action": "unschedule"})
    target.refresh_from_db()
    assert target.status == Campaign.Status.SENDING


@pytest.mark.parametrize("outcomes", [[], ["sent", "failed"]])
def test_any_campaign_can_be_duplicated_as_a_new_draft(admin, outcomes):
    original = sent_with(outcomes) if outcomes else CampaignFactory()
    assert "campaign-duplicate" in page(admin, original)

    response = admin.post(url(original, "duplicate"))
    copy = Campaign.objects.exclude(pk=original.pk).get()
    assert response.status_code == 302 and response["Location"] == url(copy)
    assert copy.name == f"Kopia av {original.name}"
    assert copy.status == Campaign.Status.DRAFT and copy.scheduled_at is None
    assert (copy.subject, copy.body, copy.segment_id, copy.kind) == (
        original.subject,
        original.body,
        original.segment_id,
        original.kind,
    )
    assert not copy.deliveries.exists()
    assert admin.get(url(original, "duplicate")).status_code == 405


def test_the_body_preview_is_there_in_every_state(admin):
    target = sent_with(["sent"], body="Vi ses på **torget** på lördag.")
    html = page(admin, target)
    assert 'id="markdown-preview"' in html
    assert "<strong>torget</strong>" in html  # the body's Markdown, rendered, though the field is read-only


# A test to typed addresses ------------------------------------------------------------------------------------


def test_a_login_without_an_address_can_send_a_test_to_typed_addresses(admin, coordinator):
    assert not coordinator.email
    AmbassadorFactory()
    target = CampaignFactory()
    response = admin.post(url(target, "send"), {"test": "1", "recipients": "Kim@Kramfors.se, vikarie@kramfors.se"})
    assert response.status_code == 302
    tests = Delivery.objects.filter(campaign=target, is_test=True).order_by("to_email")
    assert [d.to_email for d in tests] == ["kim@kramfors.se", "vikarie@kramfors.se"]
    target.refresh_from_db()
    assert target.status == Campaign.Status.DRAFT
    # The next time the form offers the same addresses.
    assert "kim@kramfors.se, vikarie@kramfors.se" in admin.get(url(target, "send")).content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Detta fält måste fyllas i."),
        ("kim@kramfors.se, inte-en-adress", "”inte-en-adress” är inte en giltig e-postadress."),
        (", ,", "Ange minst en e-postadress."),
        (",".join(f"p{n}@kramfors.se" for n in range(11)), "Högst 10 adresser åt gången."),
    ],
)
def test_typed_test_addresses_are_checked_with_swedish_messages(admin, typed, message):
    AmbassadorFactory()
    target = CampaignFactory()
    response = admin.post(url(target, "send"), {"test": "1", "recipients": typed})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Delivery.objects.filter(is_test=True).exists()


def test_the_test_form_offers_the_users_own_address_when_there_is_one(admin, coordinator):
    coordinator.email = "kim@kramfors.se"
    coordinator.save()
    html = admin.get(url(CampaignFactory(), "send")).content.decode()
    assert 'value="kim@kramfors.se"' in html


def test_a_preview_as_oneself_works_for_a_login_without_a_name(admin, coordinator):
    assert not coordinator.get_full_name()
    response = admin.get(url(CampaignFactory(), "preview"))
    assert response.status_code == 200
    assert "Hej " in response.content.decode()
