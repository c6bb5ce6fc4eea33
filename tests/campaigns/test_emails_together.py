"""The emails a person receives make sense together: one welcome, in one language, each naming a contact person
who gets the replies; test copies that say so; merge fields that never leave a gap; a newsletter's text part that
reads as text. Sent over real SMTP where headers matter."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.admin import StepForm
from campaigns.campaign_admin import CampaignForm
from campaigns.emails import build_message, render_email
from campaigns.merge import markdown_html, merge, merge_fields_unknown
from campaigns.models import Campaign, Delivery, Sequence, Step, Unsubscribe
from campaigns.services.newsletters import campaign_send_test
from campaigns.services.outbox import deliveries_send
from campaigns.services.sequences import enroll, enrollments_advance
from network import services as network_services
from network.models import Ambassador, Application
from tests.conftest import body_html, body_text, unsubscribe_path
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    DeliveryFactory,
    LocalityFactory,
    SegmentFactory,
    start_sending,
)

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def confirmed(email_address: str = "anna@example.se", *, first_name: str = "Anna", **fields) -> Application:
    """A signup through the service, confirmed through its own link."""
    application = network_services.application_submit(
        first_name=first_name, last_name="Ödmark", email_address=email_address, **fields
    )
    token = urlsplit(network_services.confirm_url(application)).path.rstrip("/").rsplit("/", 1)[1]
    assert network_services.application_confirm(token=token) == network_services.ConfirmResult.CONFIRMED
    application.refresh_from_db()
    return application


def send_queued() -> None:
    """Send everything queued, in order, as the worker would."""
    ids = list(Delivery.objects.filter(status=Delivery.Status.QUEUED).order_by("pk").values_list("pk", flat=True))
    assert deliveries_send(ids) == []


def arrived(smtp_server, address: str) -> list:
    return smtp_server.recorder.to(address)


# One welcome ---------------------------------------------------------------------------------------------------


def test_approving_sends_one_welcome_with_the_coordinators_line_inside(seed_data, smtp_server, coordinator):
    application = confirmed()
    send_queued()  # the confirmation
    before = len(arrived(smtp_server, "anna@example.se"))

    network_services.application_approve(
        application=application, decided_by=coordinator, personal_line="Vi ses på träffen i Nyland den 3 mars!"
    )
    send_queued()

    welcome = arrived(smtp_server, "anna@example.se")[before:]
    assert [message["Subject"] for message in welcome] == ["Välkommen som ambassadör, Anna!"]
    for part in (body_text(welcome[0]), body_html(welcome[0])):
        assert "Vi ses på träffen i Nyland den 3 mars!" in part
        assert "En personlig hälsning från ambassadörssamordnaren:" in part
    assert not Delivery.objects.filter(template="application_approved").exists()


def test_without_an_active_onboarding_the_approval_email_is_the_welcome(seed_data, smtp_server, coordinator):
    Sequence.objects.filter(slug=Sequence.ONBOARDING).update(is_active=False)
    application = confirmed()
    send_queued()
    before = len(arrived(smtp_server, "anna@example.se"))

    network_services.application_approve(application=application, decided_by=coordinator)  # no personal line
    send_queued()

    welcome = arrived(smtp_server, "anna@example.se")[before:]
    assert [message["Subject"] for message in welcome] == ["Välkommen som ambassadör för Kramfors"]
    assert "Din ansökan är godkänd: nu är du ambassadör för Kramfors." in body_text(welcome[0])


def test_someone_re_approved_after_onboarding_gets_the_approval_email_once(seed_data, smtp_server, coordinator):
    ambassador = network_services.application_approve(application=confirmed(), decided_by=coordinator)
    ambassador.status = Ambassador.Status.ALUMNI
    ambassador.save()
    send_queued()
    before = len(arrived(smtp_server, "anna@example.se"))

    again = confirmed()
    send_queued()  # the new confirmation
    middle = len(arrived(smtp_server, "anna@example.se"))
    network_services.application_approve(application=again, decided_by=coordinator)  # no personal line
    send_queued()

    assert middle == before + 1
    welcome = arrived(smtp_server, "anna@example.se")[middle:]
    assert [message["Subject"] for message in welcome] == ["Välkommen som ambassadör för Kramfors"]


# One language --------------------------------------------------------------------------------------------------

SWEDISH = ["Hej ", "Välkommen", "Frågor?", "hälsningar", "Hälsningar", "Integritet", "Ambassadörer för Kramfors"]


def test_someone_who_signed_up_in_english_gets_every_email_in_english(seed_data, smtp_server, coordinator):
    now = timezone.now()
    application = confirmed(language="en")
    network_services.application_approve(
        application=application, decided_by=coordinator, personal_line="See you at the meeting!", now=now
    )
    enrollments_advance(now=now + 7 * DAY)
    enrollments_advance(now=now + 30 * DAY)
    send_queued()

    messages = arrived(smtp_server, "anna@example.se")
    assert [message["Subject"] for message in messages] == [
        "Confirm your email address",
        "Welcome as an ambassador, Anna!",
        "Practical information for ambassadors",
        "How is it going, Anna?",
    ]
    for message in messages:
        text, html = body_text(message), body_html(message)
        assert 'lang="en"' in html
        assert "Questions? Reply to this email, or contact:" in text
        assert "The ambassador coordinator" in text
        for word in SWEDISH:
            assert word not in text and word not in html, (message["Subject"], word)
    assert "A personal greeting from the coordinator:" in body_text(messages[1])
    assert "See you at the meeting!" in body_text(messages[1])


def test_a_step_without_english_text_is_wholly_swedish_for_someone_who_reads_english(seed_data):
    Step.objects.filter(sequence__slug=Sequence.ONBOARDING, delay_days=7).update(subject_en="", body_en="")
    now = timezone.now()
    enroll(ambassador=AmbassadorFactory(first_name="Anna", language="en"), now=now)
    enrollments_advance(now=now + 7 * DAY)

    message = build_message(Delivery.objects.get(step__delay_days=7))

    assert message.subject == "Praktisk information för ambassadörer"
    html = message.alternatives[0].content
    assert 'lang="sv"' in html
    for swedish in ("Kramfors ambassadörer", "Integritet", "Frågor? Svara på det här mejlet eller kontakta:"):
        assert swedish in html
    assert "Frågor? Svara på det här mejlet eller kontakta:" in message.body
    assert "Ambassadörssamordnaren" in message.body
    for english in ("Kramfors ambassadors", "Privacy", "Questions?", "coordinator"):
        assert english not in html and english not in message.body


def test_a_steps_english_needs_both_subject_and_body_and_only_known_merge_fields(seed_data):
    sequence = Sequence.objects.get(slug=Sequence.ONBOARDING)
    base = {"sequence": sequence.pk, "delay_days": 3, "subject": "Hej", "body": "Hej {{ förnamn }}!", "is_active": "on"}

    only_subject = StepForm(data={**base, "subject_en": "Hi", "body_en": ""})
    assert not only_subject.is_valid()
    assert "body_en" in only_subject.errors
    unknown = StepForm(data={**base, "subject_en": "Hi", "body_en": "Hi {{ nickname }}!"})
    assert not unknown.is_valid()
    assert "nickname" in str(unknown.errors)
    assert StepForm(data={**base, "subject_en": "Hi", "body_en": 'Hi {{ first_name|"friend" }}!'}).is_valid()
    assert StepForm(data=base).is_valid()  # English is optional


# A contact person, and replies that reach them -----------------------------------------------------------------


def test_every_email_names_the_contact_person_and_replies_go_to_them(settings, seed_data, smtp_server, coordinator):
    settings.COORDINATOR_NAME = "Kim Koordinator"
    settings.COORDINATOR_PHONE = "+46701906448"
    settings.COORDINATOR_EMAIL = "kim@kramfors.se"
    now = timezone.now()
    network_services.application_submit(first_name="Alva", last_name="Ek", email_address="alva@example.se")
    AmbassadorFactory(first_name="Bo", email="bo@example.se")
    network_services.application_submit(first_name="Bo", last_name="Berg", email_address="bo@example.se")
    network_services.application_decline(application=confirmed("cia@example.se", first_name="Cia"))
    network_services.application_approve(application=confirmed("dan@example.se", first_name="Dan"), now=now)
    enrollments_advance(now=now + 7 * DAY)
    enrollments_advance(now=now + 30 * DAY)  # "Svara gärna på det här mejlet"
    Sequence.objects.filter(slug=Sequence.ONBOARDING).update(is_active=False)
    network_services.application_approve(application=confirmed("eva@example.se", first_name="Eva"))
    newsletter = CampaignFactory()
    campaign_send_test(campaign=newsletter, to_email="kim@kramfors.se", to_name="Kim Koordinator")
    send_queued()
    start_sending(newsletter)
    send_queued()

    messages = smtp_server.recorder.messages
    templates = set(Delivery.objects.filter(status=Delivery.Status.SENT).values_list("template", flat=True))
    assert templates == {
        "application_confirm",
        "already_ambassador",
        "application_declined",
        "step",
        "application_approved",
        "campaign",
    }
    assert len(messages) == Delivery.objects.filter(status=Delivery.Status.SENT).count() > 10
    for message in messages:
        (reply_to,) = message["Reply-To"].addresses
        assert (reply_to.display_name, reply_to.addr_spec) == ("Kim Koordinator", "kim@kramfors.se"), message["Subject"]
        assert "Kim Koordinator, 070-190 64 48, kim@kramfors.se" in body_text(message), message["Subject"]
        html = body_html(message)
        assert "Kim Koordinator" in html and "070-190 64 48" in html and 'href="mailto:kim@kramfors.se"' in html


# Emails to the coordinator themselves name no contact person.
TO_THE_COORDINATOR = {"coordinator_digest", "recommendation_received", "follow_ups_due", "monthly_report"}
EMAILS = sorted(
    path.name
    for path in (Path(__file__).resolve().parents[2] / "templates" / "emails").iterdir()
    if path.is_dir() and path.name not in TO_THE_COORDINATOR
)


@pytest.mark.parametrize("template", EMAILS)
def test_every_email_to_a_person_names_the_contact_person_in_both_parts(settings, template):
    settings.COORDINATOR_NAME = "Kim Koordinator"
    settings.COORDINATOR_PHONE = "0701906448"
    settings.COORDINATOR_EMAIL = "kim@kramfors.se"
    for language, question in (("sv", "Frågor? Svara på det här mejlet"), ("en", "Questions? Reply to this email")):
        context = {"first_name": "Anna", "minutes": 15, "retention_days": 30}  # the counts some emails say
        _subject, text, html = render_email(template, context, language)
        assert question in text and "Kim Koordinator, 070-190 64 48, kim@kramfors.se" in text, (template, language)
        assert question in html and "070-190 64 48" in html and 'href="mailto:kim@kramfors.se"' in html


def test_the_contact_phone_is_written_as_swedes_write_it_and_the_default_name_is_in_the_emails_language(settings):
    settings.COORDINATOR_NAME = ""
    settings.COORDINATOR_PHONE = "0612 80000"
    swedish = DeliveryFactory(
        template="application_confirm", to_email="a@example.se", context={"first_name": "A", "confirm_url": "x"}
    )
    english = DeliveryFactory(
        template="application_confirm", to_email="b@example.se", language="en", context={"first_name": "B"}
    )

    assert "Ambassadörssamordnaren, 0612-800 00, " in build_message(swedish).body
    assert "The ambassador coordinator, 0612-800 00, " in build_message(english).body
    assert build_message(english).reply_to == [f"The ambassador coordinator <{settings.COORDINATOR_EMAIL}>"]


# Test copies ---------------------------------------------------------------------------------------------------


def test_a_test_copy_says_test_and_its_unsubscribe_link_explains_itself(smtp_server):
    reader = AmbassadorFactory(first_name="Anna", email="anna@example.se")
    newsletter = CampaignFactory(subject="Hej {{ first_name }}, nytt från Kramfors")
    test = campaign_send_test(campaign=newsletter, to_email="kim@kramfors.se", to_name="Kim Koordinator")
    deliveries_send([test.pk])
    deliveries_send(start_sending(newsletter))

    (copy,) = arrived(smtp_server, "kim@kramfors.se")
    assert copy["Subject"] == "[TEST] Hej Kim, nytt från Kramfors"
    (real,) = arrived(smtp_server, "anna@example.se")
    assert real["Subject"] == "Hej Anna, nytt från Kramfors"

    path = unsubscribe_path(copy)
    assert path in body_text(copy)
    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "Det här är en testkopia – länken avregistrerar ingen" in page.content.decode()
    assert "Länken fungerar inte" not in page.content.decode()
    assert visitor.post(path).status_code == 200
    assert visitor.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not Unsubscribe.objects.exists()
    reader.refresh_from_db()
    assert reader.wants_newsletters


# Merge fields with fallbacks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "empty", "anna"),
    [
        ('Hej {{ first_name|"vän" }}!', "Hej vän!", "Hej Anna!"),
        ("Hej {{ förnamn|”vän” }}!", "Hej vän!", "Hej Anna!"),
        ("Hej {{first_name|'du'}}!", "Hej du!", "Hej Anna!"),
        ("Hej {{ first_name }}!", "Hej!", "Hej Anna!"),
        ("Hej {{ first_name }}, välkommen!", "Hej, välkommen!", "Hej Anna, välkommen!"),
        ("{{ first_name }} hälsar", "hälsar", "Anna hälsar"),
        ("Hej {{ first_name }} {{ last_name }}!", "Hej!", "Hej Anna!"),
        ("Välkommen till ambassadörerna i {{ ort }}.", "Välkommen till ambassadörerna i Kramfors.", None),
        ('Välkommen till ambassadörerna i {{ ort|"Ådalen" }}.', "Välkommen till ambassadörerna i Ådalen.", None),
    ],
)
def test_merge_fields_fall_back_and_an_empty_value_leaves_no_gap(text, empty, anna):
    nobody = {"first_name": "", "last_name": "", "full_name": "", "locality": ""}
    assert merge(text, nobody) == empty
    assert not re.search(r"\s[.,!?]", merge(text, nobody))
    if anna is not None:
        assert merge(text, {**nobody, "first_name": "Anna"}) == anna
    html = merge(markdown_html(text), nobody, html=True)
    assert f"<p>{empty}</p>" == html


def test_a_fallback_is_escaped_in_html_and_a_value_still_wins():
    html = markdown_html('Hej {{ first_name|"<b>vän</b>" }}!')
    assert merge(html, {"first_name": ""}, html=True) == "<p>Hej &lt;b&gt;vän&lt;/b&gt;!</p>"
    assert merge(html, {"first_name": "Anna"}, html=True) == "<p>Hej Anna!</p>"


def test_unknown_or_malformed_merge_fields_are_still_errors_and_the_syntax_is_documented(seed_data):
    assert merge_fields_unknown('Hej {{ first_name|"vän" }} i {{ ort|”Kramfors” }} {{ namn }}') == []
    assert merge_fields_unknown("Hej {{ nickname }}") == ["nickname"]
    assert merge_fields_unknown('Hej {{ nickname|"vän" }}') == ["nickname"]
    assert merge_fields_unknown("Hej {{ first_name|vän }}") == ["{{ first_name|vän }}"]  # no quotes
    data = {
        "name": "Brev",
        "kind": Campaign.Kind.NEWSLETTER,
        "subject": "Hej",
        "segment": SegmentFactory().pk,
    }
    assert not CampaignForm(data={**data, "body": "Hej {{ nickname }}!"}).is_valid()
    assert CampaignForm(data={**data, "body": 'Hej {{ first_name|"vän" }}!'}).is_valid()
    for field in (Campaign._meta.get_field("body"), Step._meta.get_field("body")):
        assert '{{ first_name|"vän" }}' in str(field.help_text)


def test_a_newsletter_fills_in_fallbacks_and_an_empty_locality_reads_kramfors(smtp_server):
    AmbassadorFactory(first_name="Anna", email="anna@example.se", locality=None)
    AmbassadorFactory(first_name="Bo", email="bo@example.se", locality=LocalityFactory(name="Nyland"))
    deliveries_send(
        start_sending(
            CampaignFactory(
                subject='Hej {{ first_name|"vän" }}',
                body='Hej {{ first_name|"vän" }}! Välkommen till ambassadörerna i {{ ort }}.',
            )
        )
    )

    (anna,) = arrived(smtp_server, "anna@example.se")
    (bo,) = arrived(smtp_server, "bo@example.se")
    assert anna["Subject"] == "Hej Anna"
    assert "Hej Anna! Välkommen till ambassadörerna i Kramfors." in body_text(anna)
    assert "Hej Anna! Välkommen till ambassadörerna i Kramfors." in body_html(anna)
    assert "Välkommen till ambassadörerna i Nyland." in body_text(bo)


# The newsletter's text part ------------------------------------------------------------------------------------

MARKDOWN = """# Nyheter från Kramfors

Hej **{{ first_name }}**! Här är *veckans* tips.

## Träffar

- Fika i [Nyland](https://www.kramfors.se/nyland)
- Vandring på Skuleberget

1. Anmäl dig
2. Kom

Läs mer på <https://www.kramfors.se/>.
"""


def test_a_newsletters_text_part_is_plain_text_rendered_from_the_markdown(smtp_server):
    AmbassadorFactory(first_name="Anna", email="anna@example.se")
    deliveries_send(start_sending(CampaignFactory(body=MARKDOWN)))

    text = body_text(smtp_server.recorder.wait_for(1)[0]).replace("\r\n", "\n")
    assert text.startswith("Nyheter från Kramfors\n\nHej Anna! Här är veckans tips.\n\nTräffar\n\n")
    assert "- Fika i Nyland (https://www.kramfors.se/nyland)\n- Vandring på Skuleberget\n" in text
    assert "1. Anmäl dig\n2. Kom\n" in text
    assert "Läs mer på https://www.kramfors.se/." in text
    for syntax in ("**", "#", "*veckans*", "[Nyland]", "](", "<https"):
        assert syntax not in text, syntax
