"""The onboarding sequence: seeded steps, enrollment, the beat task, editing in the admin, merge fields."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.mail import get_connection
from django.utils import timezone

from campaigns.emails import build_message
from campaigns.models import Delivery, Enrollment, Sequence, Step
from campaigns.services import outbox
from campaigns.services.outbox import deliveries_send
from campaigns.services.sequences import enroll, enrollments_advance, sequence_reschedule
from network.models import Ambassador
from tests.factories import AmbassadorFactory, LocalityFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def published(monkeypatch):
    """The delivery ids handed to Celery (instead of reaching a broker)."""
    ids: list[int] = []
    monkeypatch.setattr(outbox, "deliveries_publish", ids.extend)
    return ids


@pytest.fixture
def onboarding() -> Sequence:
    return Sequence.objects.get(slug=Sequence.ONBOARDING)


def step(days: int) -> Step:
    return Step.objects.get(sequence__slug=Sequence.ONBOARDING, delay_days=days)


def enrolled(now=None, **fields) -> tuple[Ambassador, Enrollment]:
    ambassador = AmbassadorFactory(first_name=fields.pop("first_name", "Anna"), **fields)
    return ambassador, enroll(ambassador=ambassador, now=now or timezone.now())


def deliveries(days: int) -> int:
    return Delivery.objects.filter(step__delay_days=days).count()


def test_the_seeded_sequence_is_welcome_practical_information_and_a_check_in(onboarding):
    steps = list(onboarding.steps.order_by("delay_days").values_list("delay_days", "subject", "is_active"))
    assert steps == [
        (0, "Välkommen som ambassadör, {{ first_name }}!", True),
        (7, "Praktisk information för ambassadörer", True),
        (30, "Hur går det, {{ first_name }}?", True),
    ]
    assert onboarding.is_active


def test_enrolling_queues_the_welcome_at_once_and_schedules_step_two_for_day_seven(
    published, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        ambassador, enrollment = enrolled(now=now)

    welcome = Delivery.objects.get()
    assert welcome.step == step(0)
    assert welcome.ambassador == ambassador
    assert welcome.status == Delivery.Status.QUEUED
    assert welcome.template == "step"
    assert published == [welcome.pk]
    enrollment.refresh_from_db()
    assert enrollment.next_step == step(7)
    assert enrollment.next_send_at == now + 7 * DAY


def test_enrolling_twice_changes_nothing():
    ambassador, first = enrolled()
    assert enroll(ambassador=ambassador).pk == first.pk
    assert Enrollment.objects.count() == 1
    assert deliveries(0) == 1


def test_step_two_is_queued_on_day_seven_once_even_when_the_beat_runs_twice(published):
    now = timezone.now()
    ambassador, enrollment = enrolled(now=now)

    assert enrollments_advance(now=now + 7 * DAY - timedelta(minutes=1)) == 0
    assert deliveries(7) == 0
    assert enrollments_advance(now=now + 7 * DAY) == 1
    assert enrollments_advance(now=now + 7 * DAY) == 0

    assert deliveries(7) == 1
    enrollment.refresh_from_db()
    assert enrollment.next_step == step(30)
    assert enrollment.next_send_at == now + 30 * DAY
    assert enrollments_advance(now=now + 30 * DAY) == 1
    enrollment.refresh_from_db()
    assert enrollment.next_step is None and enrollment.next_send_at is None
    assert enrollments_advance(now=now + 400 * DAY) == 0
    assert Delivery.objects.filter(ambassador=ambassador).count() == 3


@pytest.mark.parametrize("status", [Ambassador.Status.PAUSED, Ambassador.Status.ALUMNI])
def test_a_paused_or_departed_ambassador_receives_no_further_steps(status):
    now = timezone.now()
    ambassador, enrollment = enrolled(now=now)
    Ambassador.objects.filter(pk=ambassador.pk).update(status=status)

    assert enrollments_advance(now=now + 31 * DAY) == 0
    assert deliveries(7) == deliveries(30) == 0


def test_a_step_already_queued_is_skipped_at_send_time_once_the_ambassador_is_paused(mailoutbox):
    ambassador, _ = enrolled()
    welcome = Delivery.objects.get()
    Ambassador.objects.filter(pk=ambassador.pk).update(status=Ambassador.Status.PAUSED)

    deliveries_send([welcome.pk])

    welcome.refresh_from_db()
    assert welcome.status == Delivery.Status.SKIPPED
    assert mailoutbox == []


def test_editing_a_step_before_it_is_sent_changes_what_is_sent(mailoutbox):
    now = timezone.now()
    enrolled(now=now)
    Step.objects.filter(pk=step(7).pk).update(subject="Nytt ämne, {{ förnamn }}", body="Helt **ny** text.")
    enrollments_advance(now=now + 7 * DAY)

    message = build_message(Delivery.objects.get(step__delay_days=7))
    assert message.subject == "Nytt ämne, Anna"
    assert "Helt ny text." in message.body  # the text part is the Markdown as plain text
    assert "Helt <strong>ny</strong> text." in message.alternatives[0].content

    Step.objects.filter(pk=step(0).pk).update(body="Omskrivet välkomstbrev.")  # queued, not yet sent
    deliveries_send([Delivery.objects.get(step__delay_days=0).pk])
    assert "Omskrivet välkomstbrev." in mailoutbox[0].body


def test_a_step_switched_off_before_it_is_due_is_not_sent_and_the_sequence_goes_on():
    now = timezone.now()
    enrolled(now=now)
    Step.objects.filter(pk=step(7).pk).update(is_active=False)

    enrollments_advance(now=now + 8 * DAY)
    enrollments_advance(now=now + 31 * DAY)

    assert deliveries(7) == 0
    assert deliveries(30) == 1


# The admin ----------------------------------------------------------------------------------------------------


def sequence_form(sequence: Sequence, changes: dict | None = None) -> dict:
    """The Sequence change page's POST: the sequence and its inline steps, with `changes` per step pk."""
    steps = list(sequence.steps.order_by("delay_days", "pk"))
    data = {
        "slug": sequence.slug,
        "name": sequence.name,
        "is_active": "on",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(steps):
        values = {"delay_days": item.delay_days, "subject": item.subject, "body": item.body, "is_active": "on"}
        values.update((changes or {}).get(item.pk, {}))
        data.update({f"steps-{index}-id": str(item.pk), f"steps-{index}-sequence": str(sequence.pk)})
        data.update({f"steps-{index}-{name}": value for name, value in values.items()})
    return data


def change_url(sequence: Sequence) -> str:
    return f"/admin/campaigns/sequence/{sequence.pk}/change/"


def test_the_sequence_change_page_shows_its_steps(coordinator_client, onboarding):
    response = coordinator_client.get(change_url(onboarding))
    assert response.status_code == 200
    assert "Praktisk information för ambassadörer" in response.content.decode()


def test_changing_a_steps_delay_in_the_admin_reschedules_those_still_waiting_for_it(coordinator_client, onboarding):
    now = timezone.now()
    _, waiting = enrolled(now=now)
    _, done = enrolled(now=now - 8 * DAY)
    enrollments_advance(now=now)  # the older one has had step 2 and waits for step 3

    form = sequence_form(onboarding, {step(7).pk: {"delay_days": 10}})
    response = coordinator_client.post(change_url(onboarding), form)

    assert response.status_code == 302
    assert step(10).subject == "Praktisk information för ambassadörer"
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert waiting.next_send_at == now + 10 * DAY
    assert done.next_step == step(30)
    assert done.next_send_at == now - 8 * DAY + 30 * DAY
    assert enrollments_advance(now=now + 7 * DAY) == 0
    assert enrollments_advance(now=now + 10 * DAY) == 1


def test_rescheduling_the_sequence_moves_pending_enrollments_to_the_new_day():
    now = timezone.now()
    _, enrollment = enrolled(now=now)
    practical = step(7)
    practical.delay_days = 3
    practical.save()
    sequence_reschedule(practical.sequence)
    enrollment.refresh_from_db()
    assert enrollment.next_send_at == now + 3 * DAY


def test_moving_a_pending_step_after_a_later_one_still_sends_every_step(coordinator_client, onboarding):
    now = timezone.now()
    enrolled(now=now)
    form = sequence_form(onboarding, {step(7).pk: {"delay_days": 40}})
    assert coordinator_client.post(change_url(onboarding), form).status_code == 302

    enrollments_advance(now=now + 30 * DAY)
    enrollments_advance(now=now + 40 * DAY)
    enrollments_advance(now=now + 41 * DAY)

    assert deliveries(30) == 1
    assert deliveries(40) == 1


def test_an_unknown_merge_field_is_a_validation_error_in_the_admin(coordinator_client, onboarding):
    practical = step(7)
    data = sequence_form(onboarding, {practical.pk: {"body": "Hej {{ first_name }}, vilken {{ shoe_size }}?"}})

    response = coordinator_client.post(change_url(onboarding), data)

    assert response.status_code == 200
    assert "shoe_size" in response.content.decode()
    assert response.context["errors"]
    practical.refresh_from_db()
    assert "shoe_size" not in practical.body


def test_known_merge_fields_in_english_and_swedish_are_accepted_in_the_admin(coordinator_client, onboarding):
    body = "Hej {{ förnamn }} {{ efternamn }} i {{ ort }}! ({{first_name}} {{ locality }})"
    form = sequence_form(onboarding, {step(7).pk: {"body": body}})
    response = coordinator_client.post(change_url(onboarding), form)
    assert response.status_code == 302
    assert step(7).body == body


# Merge fields and untrusted text ------------------------------------------------------------------------------


def test_merge_fields_are_filled_in_both_parts():
    now = timezone.now()
    enrolled(now=now, first_name="Anna", last_name="Ödmark", locality=LocalityFactory(name="Nyland"))
    Step.objects.filter(pk=step(7).pk).update(body="Hej {{ namn }} i {{ ort }}!")
    enrollments_advance(now=now + 7 * DAY)

    message = build_message(Delivery.objects.get(step__delay_days=7))
    assert "Hej Anna Ödmark i Nyland!" in message.body
    assert "Hej Anna Ödmark i Nyland!" in message.alternatives[0].content
    welcome = build_message(Delivery.objects.get(step__delay_days=0))
    assert welcome.subject == "Välkommen som ambassadör, Anna!"
    assert welcome.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_first_name_with_html_is_escaped_in_the_html_part():
    enrolled(first_name="<img src=x onerror=alert(1)>")
    message = build_message(Delivery.objects.get())
    html = message.alternatives[0].content
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html
    assert "Hej <img src=x onerror=alert(1)>!" in message.body  # the text part is text


def test_coordinator_markdown_is_sanitised():
    now = timezone.now()
    enrolled(now=now)
    Step.objects.filter(pk=step(7).pk).update(
        body="Hej **{{ first_name }}**!\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[Farlig länk](javascript:alert(3)) och [bra länk](https://kramfors.se/)"
    )
    enrollments_advance(now=now + 7 * DAY)

    html = build_message(Delivery.objects.get(step__delay_days=7)).alternatives[0].content
    assert "<strong>Anna</strong>" in html
    assert '<a style="color:#00457c;" href="https://kramfors.se/"' in html  # in the brand colour
    for unsafe in ("<script", "alert(1)", "onerror", "javascript:", "<img"):
        assert unsafe not in html


def test_a_sent_step_goes_over_smtp_with_its_subject(smtp_server):
    enrolled()
    deliveries_send([Delivery.objects.get().pk])
    message = smtp_server.recorder.wait_for(1)[0]
    assert message["Subject"] == "Välkommen som ambassadör, Anna!"
    assert Delivery.objects.get().status == Delivery.Status.SENT
    get_connection().close()


def test_a_queued_step_email_is_not_sent_empty_when_its_step_has_been_deleted(mailoutbox):
    enrolled()
    welcome = Delivery.objects.get()
    step(0).delete()  # the coordinator removes the step in the admin inline before the send

    deliveries_send([welcome.pk])

    welcome.refresh_from_db()
    assert welcome.status != Delivery.Status.SENT
    assert [message.subject for message in mailoutbox if not message.subject.strip()] == []
