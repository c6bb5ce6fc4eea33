"""Campaign messages to Mailjet in one API call per claimed chunk (campaigns.esp_batch), against a loopback stand-in
that answers in Mailjet's formats: every recipient's result mapped back to its row, a partial failure, a 429."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from campaigns.emails import campaign_content, message_id
from campaigns.models import Delivery, Suppression
from campaigns.services import claim
from campaigns.services.outbox import deliveries_send
from tests.factories import AmbassadorFactory, CampaignFactory, DeliveryFactory, SuppressionFactory, start_sending
from tests.mailjet_standin import MailjetStandIn

pytestmark = pytest.mark.django_db

BODY = 'Hej {{ first_name|"vän" }}!\n\n[Avregistrera]({{ unsubscribe_url }}) & <b>fet</b>\n'


@pytest.fixture
def esp(settings):
    with MailjetStandIn() as standin:
        settings.EMAIL_BACKEND = "anymail.backends.mailjet.EmailBackend"
        settings.ANYMAIL = standin.settings()
        settings.EMAIL_RATE_PER_MINUTE = 0
        yield standin


def newsletter(count: int, **names) -> list[int]:
    for index in range(count):
        AmbassadorFactory(email=f"p{index}@example.se", first_name=names.get(f"p{index}", f"Person{index}"))
    return start_sending(CampaignFactory(body=BODY))


def rows(ids: list[int]) -> dict[str, Delivery]:
    return {d.to_email: d for d in Delivery.objects.filter(pk__in=ids).select_related("campaign", "ambassador")}


def test_a_claimed_chunk_goes_in_one_call_and_every_row_gets_its_message_id(esp):
    ids = newsletter(12, p3='<script>alert("x")</script>')
    assert deliveries_send(ids) == []
    assert esp.calls == 1
    answered = {m["To"][0]["Email"] for r in esp.requests for m in r["Messages"]}
    assert answered == {f"p{i}@example.se" for i in range(12)}
    by_address = rows(ids)
    ids_seen = set()
    for delivery in by_address.values():
        assert delivery.status == Delivery.Status.SENT, delivery.last_error
        assert delivery.esp_message_id.isdigit()
        ids_seen.add(delivery.esp_message_id)
    assert len(ids_seen) == 12  # each recipient's own MessageID


@time_machine.travel("2026-03-02 09:00 +0100", tick=False)  # the unsubscribe link's signature holds the time
def test_each_entry_is_the_recipients_own_message(esp):
    ids = newsletter(3, p1='<script>alert("x")</script>')
    deliveries_send(ids)
    by_address = rows(ids)
    for entry in esp.requests[0]["Messages"]:
        delivery = by_address[entry["To"][0]["Email"]]
        content = campaign_content(delivery)
        assert entry["Subject"] == content.subject
        assert entry["TextPart"] == content.text
        assert entry["HTMLPart"] == content.html
        assert entry["Headers"]["Message-ID"] == message_id(delivery.pk)
        assert entry["Headers"]["List-Unsubscribe"].startswith("<http://testserver/avregistrera/")
        assert entry["Headers"]["List-Unsubscribe"] == content.headers["List-Unsubscribe"]
        assert entry["From"]["Email"] == "ambassador@kramfors.se"
        assert entry["ReplyTo"]["Email"]
    html = {e["To"][0]["Email"]: e["HTMLPart"] for e in esp.requests[0]["Messages"]}["p1@example.se"]
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_a_partial_failure_fails_and_suppresses_only_the_refused(esp):
    ids = newsletter(6)
    esp.refuse = {"p2@example.se", "p4@example.se"}
    assert deliveries_send(ids) == []
    assert esp.calls == 1
    by_address = rows(ids)
    for address, delivery in by_address.items():
        if address in esp.refuse:
            assert delivery.status == Delivery.Status.FAILED
            assert "mj-0013" in delivery.last_error
            assert delivery.esp_message_id == ""
        else:
            assert delivery.status == Delivery.Status.SENT
            assert delivery.esp_message_id
    assert set(Suppression.objects.values_list("email", flat=True)) == esp.refuse


def test_a_429_puts_the_whole_chunk_back_with_backoff_and_it_goes_out_later(esp):
    ids = newsletter(5)
    esp.rate_limited = 1
    before = timezone.now()
    retries = deliveries_send(ids)
    assert sorted(pk for pk, _delay in retries) == sorted(ids)
    assert all(delay > 0 for _pk, delay in retries)
    for delivery in rows(ids).values():
        assert delivery.status == Delivery.Status.QUEUED
        assert "429" in delivery.last_error
        assert delivery.next_attempt_at > before
        assert delivery.claim_token is None
    assert not Suppression.objects.exists()
    Delivery.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliveries_send(ids) == []
    assert {d.status for d in rows(ids).values()} == {Delivery.Status.SENT}
    assert esp.calls == 2
    assert sorted(esp.sent_to()) == sorted(f"p{i}@example.se" for i in range(5))


def test_suppressed_and_unsubscribed_recipients_are_left_out_of_the_call(esp):
    ids = newsletter(4)
    SuppressionFactory(email="p1@example.se", reason=Suppression.Reason.HARD_BOUNCE)
    deliveries_send(ids)
    assert sorted(esp.sent_to()) == ["p0@example.se", "p2@example.se", "p3@example.se"]
    assert rows(ids)["p1@example.se"].status == Delivery.Status.SKIPPED


def test_transactional_mail_and_a_rate_limit_go_one_call_per_message(esp, settings):
    transactional = [
        DeliveryFactory(
            template="application_confirm",
            to_email=f"t{i}@example.se",
            to_name="Anna",
            context={"first_name": "Anna", "confirm_url": "http://testserver/bekrafta/abc/"},
        ).pk
        for i in range(2)
    ]
    deliveries_send(transactional)
    assert esp.calls == 2
    settings.EMAIL_RATE_PER_MINUTE = 60_000
    ids = newsletter(3)
    deliveries_send(ids)
    assert esp.calls == 5
    assert {d.status for d in rows(ids).values()} == {Delivery.Status.SENT}


def test_a_row_taken_back_by_the_sweeper_is_not_sent(esp, monkeypatch):

    ids = newsletter(3)
    taken = ids[1]
    original = claim.Claim.holds

    def holds(self, delivery):
        return delivery.pk != taken and original(self, delivery)

    monkeypatch.setattr(claim.Claim, "holds", holds)
    deliveries_send(ids)
    assert taken not in {d.pk for d in Delivery.objects.filter(to_email__in=esp.sent_to())}
    assert len(esp.sent_to()) == 2


def test_an_entry_made_from_the_frame_is_what_anymail_makes_of_the_whole_message(esp):
    """After the first recipient of a campaign only what differs is set; for hostile names, Unicode, an IDN domain
    and long lines the entry is the one anymail's MailjetPayload makes of the recipient's EmailMessage."""
    from django.core.mail import get_connection

    from campaigns.emails import campaign_message
    from campaigns.esp_batch import Batch
    from tests.campaigns.test_wire import LONG_LINE, recipients

    connection = get_connection()
    batch = Batch(connection)
    deliveries = recipients(body=f"Hej {{{{ first_name }}}} i {{{{ ort }}}}!\n\n{LONG_LINE}\n")
    assert len(deliveries) > 5
    for delivery in deliveries:
        with time_machine.travel(timezone.now(), tick=False):  # the unsubscribe link's signature holds the time
            made = batch.entry(delivery)
            payload = connection.build_message_payload(campaign_message(delivery), connection.send_defaults)
        whole = {**payload.data["Globals"], **payload.data["Messages"][0]}
        assert payload.serialize_json(made) == payload.serialize_json(whole), delivery.to_email
    assert len(batch.frames) == 1
