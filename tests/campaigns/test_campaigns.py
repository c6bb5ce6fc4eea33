"""Campaigns: the checklist, scheduling, the fan-out, sending over real SMTP, pause/resume/cancel, progress and
the shared rate limit. (The same with a real Celery worker is in tests/e2e/test_newsletter_flow.py.)"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.utils import timezone, translation

from campaigns.emails import message_id
from campaigns.models import Campaign, Delivery, Suppression, Unsubscribe
from campaigns.selectors import campaign_progress, campaign_report
from campaigns.services.newsletters import (
    CampaignError,
    ambassador_unsubscribe,
    campaign_cancel,
    campaign_checklist,
    campaign_fan_out,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_send_test,
    campaigns_start_due,
)
from campaigns.services.outbox import deliveries_send
from campaigns.services.rate_clock import send_slots
from network.models import Ambassador
from tests.conftest import body_html, body_text
from tests.factories import AmbassadorFactory, CampaignFactory, LocalityFactory, SuppressionFactory, start_sending

pytestmark = pytest.mark.django_db


def with_left_out() -> None:
    """One person for each reason to be left out of a newsletter."""
    AmbassadorFactory(email=None, phone="+46700000001")
    AmbassadorFactory(email="avregistrerad@example.se", wants_newsletters=False)
    AmbassadorFactory(email="studsar@example.se")
    SuppressionFactory(email="studsar@example.se", reason=Suppression.Reason.HARD_BOUNCE)


def statuses(sending: Campaign) -> dict[str, str]:
    return dict(Delivery.objects.filter(campaign=sending, ambassador__isnull=False).values_list("to_email", "status"))


# The checklist and scheduling -------------------------------------------------------------------------------


def checklist(target: Campaign) -> list[tuple[str, bool]]:
    with translation.override("en"):
        return [(str(label), ok) for label, ok in campaign_checklist(target)]


def test_the_checklist_passes_for_a_complete_campaign_with_recipients():
    AmbassadorFactory.create_batch(2)
    items = checklist(CampaignFactory())
    assert all(ok for _label, ok in items), items
    assert ("2 recipients", True) in items
    assert any("subject" in label.lower() for label, _ok in items)
    assert any("unsubscribe" in label.lower() for label, _ok in items)
    assert any("kramfors.se" in label for label, _ok in items)


def test_an_empty_subject_fails_the_checklist_and_cannot_be_scheduled():
    AmbassadorFactory()
    target = CampaignFactory(subject="  ")
    assert not checklist(target)[0][1]
    with pytest.raises(CampaignError):
        campaign_schedule(campaign=target)
    target.refresh_from_db()
    assert target.status == Campaign.Status.DRAFT


def test_an_unknown_merge_field_fails_the_checklist_and_is_named():
    AmbassadorFactory()
    target = CampaignFactory(body="Hej {{ first_name }}, din skostorlek är {{ shoe_size }}.")
    failing = [label for label, ok in checklist(target) if not ok]
    assert len(failing) == 1 and "shoe_size" in failing[0]
    with pytest.raises(CampaignError):
        campaign_schedule(campaign=target)


def test_no_recipients_fails_the_checklist():
    AmbassadorFactory(wants_newsletters=False)
    target = CampaignFactory()
    assert ("0 recipients", False) in checklist(target)
    with pytest.raises(CampaignError):
        campaign_schedule(campaign=target)


def test_a_campaign_cannot_be_scheduled_twice(django_capture_on_commit_callbacks):
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign_schedule(campaign=target)
    assert len(callbacks) == 1  # start the send as soon as the schedule is committed
    target.refresh_from_db()
    assert target.status == Campaign.Status.SCHEDULED

    with pytest.raises(CampaignError):
        campaign_schedule(campaign=target)
    campaigns_start_due(now=timezone.now() + timedelta(seconds=1))
    with pytest.raises(CampaignError):
        campaign_schedule(campaign=target)
    assert Delivery.objects.filter(campaign=target).count() == 2


def test_a_campaign_scheduled_for_later_waits_until_its_time():
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    now = timezone.now()
    campaign_schedule(campaign=target, at=now + timedelta(hours=2), now=now)

    assert campaigns_start_due(now=now + timedelta(hours=1)) == 0
    target.refresh_from_db()
    assert target.status == Campaign.Status.SCHEDULED
    assert not Delivery.objects.filter(campaign=target).exists()

    assert campaigns_start_due(now=now + timedelta(hours=2)) == 1
    assert campaigns_start_due(now=now + timedelta(hours=3)) == 0
    target.refresh_from_db()
    assert target.status == Campaign.Status.SENDING
    assert Delivery.objects.filter(campaign=target).count() == 2


# The fan-out -------------------------------------------------------------------------------------------------


def test_the_fan_out_creates_one_queued_delivery_per_recipient_and_counts_who_is_left_out():
    anna, bo = AmbassadorFactory.create_batch(2)
    with_left_out()
    target = CampaignFactory()
    start_sending(target)

    deliveries = Delivery.objects.filter(campaign=target)
    assert sorted(deliveries.values_list("to_email", flat=True)) == sorted([anna.email, bo.email])
    assert set(deliveries.values_list("status", flat=True)) == {Delivery.Status.QUEUED}
    assert deliveries.get(ambassador=anna).to_name == anna.full_name
    assert (target.skipped_no_email, target.skipped_unsubscribed, target.skipped_suppressed) == (1, 1, 1)


def test_running_the_fan_out_again_adds_nobody():
    AmbassadorFactory.create_batch(3)
    target = CampaignFactory()
    start_sending(target)
    campaign_fan_out(campaign_id=target.pk)
    campaign_fan_out(campaign_id=target.pk)
    assert Delivery.objects.filter(campaign=target).count() == 3


def inserts_needed(recipients: int) -> int:
    """INSERT statements the database forces: SQLite caps one statement at 999 parameters (Django splits the
    batch); PostgreSQL takes the fan-out's whole chunk of 2,000 at once."""
    fields = [f for f in Delivery._meta.concrete_fields if not f.primary_key]
    per_insert = min(2000, connection.ops.bulk_batch_size(fields, [Delivery()] * recipients))
    return -(-recipients // per_insert)


@pytest.mark.parametrize("recipients", [10, 500])
def test_the_fan_out_uses_a_constant_number_of_queries_besides_bulk_inserts(recipients, django_assert_max_num_queries):
    AmbassadorFactory.create_in_bulk(recipients)
    target = CampaignFactory()
    target.status = Campaign.Status.SENDING
    target.save()
    with django_assert_max_num_queries(12 + inserts_needed(recipients)):
        campaign_fan_out(campaign_id=target.pk)
    assert Delivery.objects.filter(campaign=target).count() == recipients


# Sending over SMTP -------------------------------------------------------------------------------------------


def test_each_recipient_gets_one_message_with_merge_fields_and_bulk_headers(smtp_server):
    kramfors = LocalityFactory(name="Kramfors")
    anna = AmbassadorFactory(first_name="Anna", last_name="Ödmark", email="anna@example.se", locality=kramfors)
    AmbassadorFactory(first_name="Bo", last_name="Berg", email="bo@example.se")
    target = CampaignFactory(
        subject="Hej {{ first_name }}, nytt från Kramfors", body="Hej {{ first_name }} i {{ locality }}!"
    )
    ids = start_sending(target)

    assert deliveries_send(ids) == []
    messages = smtp_server.recorder.wait_for(2)
    assert len(smtp_server.recorder.to("anna@example.se")) == len(smtp_server.recorder.to("bo@example.se")) == 1

    message = smtp_server.recorder.to("anna@example.se")[0]
    delivery = Delivery.objects.get(campaign=target, ambassador=anna)
    assert message["Subject"] == "Hej Anna, nytt från Kramfors"
    assert "Hej Anna i Kramfors!" in body_text(message)
    assert "Hej Anna i Kramfors!" in body_html(message)
    assert message["Message-ID"] == message_id(delivery.pk)
    assert re.fullmatch(r"<https?://[^<>\s]+/avregistrera/[^<>\s/]+/>", str(message["List-Unsubscribe"]).strip())
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(message["List-Id"]).endswith("<newsletter.testserver>")
    assert message["To"].addresses[0].addr_spec == "anna@example.se"
    # Each person's own unsubscribe link.
    assert messages[0]["List-Unsubscribe"] != messages[1]["List-Unsubscribe"]
    assert "Hej Bo i Kramfors!" in body_text(smtp_server.recorder.to("bo@example.se")[0])  # no locality: the default
    assert statuses(target) == {"anna@example.se": "sent", "bo@example.se": "sent"}
    assert all(Delivery.objects.filter(campaign=target).values_list("sent_at", flat=True))


def test_the_text_part_is_real_text_and_the_html_part_is_the_rendered_markdown(smtp_server):
    AmbassadorFactory(first_name="Anna")
    deliveries_send(
        start_sending(
            CampaignFactory(body="Hej {{ first_name }}!\n\n* ett\n* två\n\n[Läs mer](https://www.kramfors.se/)")
        )
    )
    message = smtp_server.recorder.wait_for(1)[0]

    assert message.get_content_type() == "multipart/alternative"
    text = body_text(message)
    assert "Hej Anna!" in text and "https://www.kramfors.se/" in text
    assert not re.search(r"</?[a-zA-Z][^>]*>", text), text
    html = body_html(message)
    assert "<li>ett</li>" in html and 'href="https://www.kramfors.se/"' in html


class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_written_by_the_coordinator_is_sanitised(smtp_server):
    AmbassadorFactory()
    body = (
        "Hej!\n\n<script>alert('script')</script>\n\n<p onclick=\"alert('click')\">Klicka</p>\n\n"
        "<img src=x onerror=alert('img')>\n\n[Läs mer](javascript:alert('link'))\n\n"
        '<a href="JavaScript:alert(1)">länk</a>\n\n<iframe src="https://evil.example/"></iframe>\n\n'
        "[Kommunen](https://www.kramfors.se/)"
    )
    deliveries_send(start_sending(CampaignFactory(body=body)))
    html = body_html(smtp_server.recorder.wait_for(1)[0])

    tags = Tags(html).tags
    assert not [tag for tag, _attrs in tags if tag in ("script", "img", "iframe")]
    assert not [name for _tag, attrs in tags for name in attrs if name.startswith("on")]
    assert not [a for _tag, a in tags if (a.get("href") or "").strip().lower().startswith("javascript:")]
    assert "alert('script')" not in html  # the script's content is dropped, not shown
    assert 'href="https://www.kramfors.se/"' in html


def test_a_recipient_named_like_html_is_escaped_in_the_html_part(smtp_server):
    AmbassadorFactory(first_name="<img src=x onerror=alert(1)>")
    deliveries_send(start_sending(CampaignFactory(subject="Hej {{ first_name }}")))
    message = smtp_server.recorder.wait_for(1)[0]

    html = body_html(message)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x onerror=alert(1)>" in body_text(message)
    assert message["Subject"] == "Hej <img src=x onerror=alert(1)>"


def test_a_paused_campaign_is_not_sent_and_resuming_sends_everyone_once(smtp_server):
    AmbassadorFactory.create_batch(4)
    target = CampaignFactory()
    ids = start_sending(target)
    assert campaign_pause(campaign=target)

    assert deliveries_send(ids) == []
    assert smtp_server.recorder.messages == []
    assert set(statuses(target).values()) == {"queued"}

    for _round in range(2):  # pause and resume twice
        assert campaign_resume(campaign=target)
        deliveries_send(ids[:2])
        assert campaign_pause(campaign=target)
        deliveries_send(ids)
    assert campaign_resume(campaign=target)
    deliveries_send(ids)
    deliveries_send(ids)

    assert len(smtp_server.recorder.messages) == 4
    assert len({str(m["To"]) for m in smtp_server.recorder.messages}) == 4
    target.refresh_from_db()
    assert target.status == Campaign.Status.SENT and target.finished_at is not None


def test_cancelling_skips_what_is_left_with_the_reason(smtp_server):
    AmbassadorFactory.create_batch(4)
    target = CampaignFactory()
    ids = start_sending(target)
    deliveries_send(ids[:1])
    assert campaign_cancel(campaign=target)
    deliveries_send(ids)

    assert len(smtp_server.recorder.messages) == 1
    left = Delivery.objects.filter(pk__in=ids[1:])
    assert set(left.values_list("status", "last_error")) == {(Delivery.Status.SKIPPED, "cancelled")}
    target.refresh_from_db()
    assert target.status == Campaign.Status.CANCELLED
    assert not campaign_resume(campaign=target)


def test_the_campaign_is_sent_only_when_nothing_is_left(smtp_server):
    AmbassadorFactory.create_batch(3)
    target = CampaignFactory()
    ids = start_sending(target)
    deliveries_send(ids[:2])
    target.refresh_from_db()
    assert target.status == Campaign.Status.SENDING
    deliveries_send(ids[2:])
    target.refresh_from_db()
    assert target.status == Campaign.Status.SENT


def test_someone_who_unsubscribes_after_the_fan_out_is_skipped_at_send_time(smtp_server):
    anna, bo = AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    ids = start_sending(target)
    ambassador_unsubscribe(ambassador_id=anna.pk, kind="newsletter", source=Unsubscribe.Source.LINK)
    deliveries_send(ids)

    assert [str(m["To"]) for m in smtp_server.recorder.wait_for(1)] == [f"{bo.full_name} <{bo.email}>"]
    assert Delivery.objects.get(campaign=target, ambassador=anna).last_error == "unsubscribed"
    assert statuses(target)[anna.email] == Delivery.Status.SKIPPED


def test_an_address_suppressed_after_the_fan_out_is_skipped_at_send_time(smtp_server):
    anna, _bo = AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    ids = start_sending(target)
    SuppressionFactory(email=anna.email, reason=Suppression.Reason.COMPLAINT)
    deliveries_send(ids)

    assert len(smtp_server.recorder.wait_for(1)) == 1
    assert Delivery.objects.get(campaign=target, ambassador=anna).last_error == "suppressed"


def test_a_recipient_deleted_after_the_fan_out_is_not_mailed(smtp_server):
    anna, bo = AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    ids = start_sending(target)
    Ambassador.objects.filter(pk=anna.pk).delete()  # left the network and was erased
    deliveries_send(ids)

    assert smtp_server.recorder.to(anna.email) == []
    assert len(smtp_server.recorder.to(bo.email)) == 1


def test_one_refused_recipient_does_not_stop_the_others(smtp_server):
    AmbassadorFactory.create_batch(3)
    target = CampaignFactory()
    ids = start_sending(target)
    smtp_server.recorder.replies.append("550 5.1.1 Mailbox does not exist")
    deliveries_send(ids)

    assert len(smtp_server.recorder.messages) == 2
    failed = Delivery.objects.get(campaign=target, status=Delivery.Status.FAILED)
    assert "550" in failed.last_error
    assert Suppression.objects.filter(email=failed.to_email).exists()
    target.refresh_from_db()
    assert target.status == Campaign.Status.SENT


def test_a_test_goes_to_the_coordinator_and_is_not_part_of_the_progress(smtp_server):
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory(subject="Hej {{ first_name }}, nytt från Kramfors")
    test = campaign_send_test(campaign=target, to_email="koordinator@kramfors.se", to_name="Kim Koordinator")
    deliveries_send([test.pk])

    message = smtp_server.recorder.wait_for(1)[0]
    assert message["To"].addresses[0].addr_spec == "koordinator@kramfors.se"
    assert message["Subject"] == "[TEST] Hej Kim, nytt från Kramfors"
    target.refresh_from_db()
    assert target.status == Campaign.Status.DRAFT
    progress = campaign_progress(target)
    assert (progress.sent, progress.failed, progress.remaining) == (0, 0, 2)  # the audience, not the test


def test_a_campaign_paused_before_it_started_goes_back_to_its_schedule_and_is_fanned_out_even_after_a_test():
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    campaign_send_test(campaign=target, to_email="koordinator@kramfors.se", to_name="Kim")
    now = timezone.now()
    campaign_schedule(campaign=target, at=now + timedelta(days=1), now=now)
    assert campaign_pause(campaign=target)
    assert campaign_resume(campaign=target)
    target.refresh_from_db()
    assert target.status == Campaign.Status.SCHEDULED

    campaigns_start_due(now=now + timedelta(days=1, minutes=1))
    assert Delivery.objects.filter(campaign=target, ambassador__isnull=False).count() == 2


def test_progress_and_report_count_sent_failed_skipped_and_what_happened_after(smtp_server):
    anna, bo, cia, dan = AmbassadorFactory.create_batch(4)
    with_left_out()
    target = CampaignFactory()
    ids = start_sending(target)
    before = campaign_progress(target)
    assert (before.total, before.sent, before.failed, before.skipped, before.remaining) == (7, 0, 0, 3, 4)
    assert before.percent == 0  # nothing sent yet: the skipped were never to be sent to

    ambassador_unsubscribe(ambassador_id=dan.pk, kind="newsletter", source=Unsubscribe.Source.LINK, campaign=target)
    smtp_server.recorder.replies.append("550 5.1.1 Mailbox does not exist")
    deliveries_send(ids)
    progress = campaign_progress(target)
    assert (progress.total, progress.sent, progress.failed, progress.skipped, progress.remaining) == (7, 2, 1, 4, 0)
    assert progress.percent == 66 and progress.per_minute == 2  # 2 sent of 3 to send: the failed one is not sent

    sent = Delivery.objects.filter(campaign=target, status=Delivery.Status.SENT)
    now = timezone.now()
    sent.update(delivered_at=now)
    sent.filter(pk=sent.first().pk).update(opened_at=now, clicked_at=now, complained_at=now)
    Delivery.objects.filter(campaign=target, status=Delivery.Status.FAILED).update(bounced_at=now)
    report = campaign_report(target)
    assert [report[key] for key in ("delivered", "bounced", "complained", "opened", "clicked")] == [2, 1, 1, 1, 1]
    assert report["unsubscribed"] == 1


# The shared rate limit ---------------------------------------------------------------------------------------


def test_two_calls_reserve_non_overlapping_slots_at_the_configured_rate(settings):
    settings.EMAIL_RATE_PER_MINUTE = 600
    first = send_slots(3, now=1000.0)
    second = send_slots(2, now=1000.0)
    assert first == pytest.approx([1000.0, 1000.1, 1000.2])
    assert second == pytest.approx([1000.3, 1000.4])
    assert send_slots(1, now=5000.0) == pytest.approx([5000.0])  # an idle clock does not bank slots


def test_a_rate_of_zero_means_no_waiting(settings, smtp_server):
    settings.EMAIL_RATE_PER_MINUTE = 0
    assert send_slots(3, now=1000.0) == [1000.0, 1000.0, 1000.0]
    AmbassadorFactory.create_batch(5)
    ids = start_sending(CampaignFactory())
    began = time.monotonic()
    deliveries_send(ids)
    assert time.monotonic() - began < 5
    assert len(smtp_server.recorder.messages) == 5


def test_the_rate_limit_is_spent_on_sends_not_on_deliveries_that_are_not_sent(settings, smtp_server):
    AmbassadorFactory.create_batch(5)
    ids = start_sending(CampaignFactory())
    deliveries_send(ids)
    settings.EMAIL_RATE_PER_MINUTE = 120  # one send every half second
    began = time.monotonic()
    deliveries_send(ids)  # a redelivered batch: everything is already sent
    assert time.monotonic() - began < 1.0
    assert len(smtp_server.recorder.messages) == 5
