"""One example of every kind of email in campaigns.catalogue, queued by the product function the catalogue names,
for a reader of a given language, from factories. The data is what people type: "&" and quotes in a title, å, ä
and ö in names and places, a long name.

`example(template, language)` returns the queued Delivery; `build_message` makes it an email. Used by
tests/campaigns/test_email_catalogue.py and tests/e2e/test_email_width_browser.py.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from campaigns.models import Campaign, Delivery, Sequence
from campaigns.services import sequences as sequence_services
from campaigns.services.digest import coordinator_digest_queue, follow_ups_due_queue
from campaigns.services.welcome import ambassador_welcome
from dashboard.report import first_weekday, monthly_report_queue
from mypages.services import sign_in_link_request
from network import applications, event_answers, events, recruitment
from network.models import Ambassador, Application, RecruitmentContact, Registration
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    DeliveryFactory,
    EventFactory,
    LocalityFactory,
    RecruitmentContactFactory,
    RegistrationFactory,
    SequenceFactory,
    StepFactory,
)

TITLE = 'Fika & "kick-off" i Ytterlännäs bygdegård'
FIRST, LAST = "Åsa", "Öberg-Lindqvist"
COORDINATOR = {"name": "Maria Ek", "email": "maria.ek@kramfors.se", "phone": "0701906448"}


def named_coordinator(settings) -> None:
    """The settings a municipality has: a named coordinator with her own address and mobile number."""
    settings.COORDINATOR_NAME = COORDINATOR["name"]
    settings.COORDINATOR_EMAIL = COORDINATOR["email"]
    settings.COORDINATOR_PHONE = COORDINATOR["phone"]


def reader(language: str, **fields) -> Ambassador:
    return AmbassadorFactory(
        first_name=FIRST,
        last_name=LAST,
        email=f"asa.{language}.{next(NUMBERS)}@exempel.se",
        language=language,
        locality=LocalityFactory(name="Ytterlännäs"),
        **fields,
    )


def event(**fields):
    return EventFactory(title=TITLE, place="Bygdegården", address="Bygdevägen 3, Ytterlännäs", **fields)


def latest(template: str) -> Delivery:
    return Delivery.objects.filter(template=template).latest("pk")


NUMBERS = itertools.count()


def _submit(language: str, email_address: str) -> Application | None:
    return applications.application_submit(
        first_name=FIRST, last_name=LAST, email_address=email_address, language=language
    )


def application_confirm(language):
    _submit(language, f"ny.{language}.{next(NUMBERS)}@exempel.se")
    return latest("application_confirm")


def already_ambassador(language):
    ambassador = reader(language)
    _submit(language, ambassador.email)
    return latest("already_ambassador")


def _confirmed(language) -> Application:
    application = _submit(language, f"sokande.{language}.{next(NUMBERS)}@exempel.se")
    token = urlsplit(applications.confirm_url(application)).path.rstrip("/").rsplit("/", 1)[1]
    applications.application_confirm(token=token)
    application.refresh_from_db()
    return application


def application_approved(language):
    Sequence.objects.filter(slug=Sequence.ONBOARDING).update(is_active=False)
    ambassador = reader(language)
    ambassador_welcome(ambassador=ambassador, personal_line="Välkommen & tack!")
    return latest("application_approved")


def application_declined(language):
    applications.application_decline(application=_confirmed(language), personal_line="Vi hörs & tack.")
    return latest("application_declined")


def mypages_link(language):
    sign_in_link_request(email_address=reader(language).email)
    return latest("mypages_link")


def step(language):
    sequence = SequenceFactory()
    StepFactory(
        sequence=sequence,
        subject="Välkommen, {{ first_name }} & tack!",
        body="Hej {{ first_name }}!\n\nLäs mer på [vår sida](https://www.kramfors.se/).",
        subject_en="Welcome, {{ first_name }} & thank you!",
        body_en="Hello {{ first_name }}!\n\nRead more on [our page](https://www.kramfors.se/).",
    )
    sequence_services.enroll(ambassador=reader(language), sequence_slug=sequence.slug)
    return latest("step")


def campaign(language):
    """Written in Swedish only: an English reader gets it wholly in Swedish."""
    ambassador = reader(language)
    letter = CampaignFactory(
        subject="Nytt från Kramfors & Höga kusten, {{ first_name }}",
        body="Hej {{ first_name }}!\n\nVi ses på [torget](https://www.kramfors.se/) på lördag.",
        status=Campaign.Status.SENDING,
    )
    return DeliveryFactory(campaign=letter, ambassador=ambassador, language=ambassador.language)


def event_confirmation(language):
    ambassador = reader(language)
    events.registration_answer(event_id=event().pk, ambassador_id=ambassador.pk, answer="yes")
    return latest("event_confirmation")


def event_promoted(language):
    meeting = event(capacity=1)
    first, waiting = AmbassadorFactory(), reader(language)
    events.registration_answer(event_id=meeting.pk, ambassador_id=first.pk, answer="yes")
    events.registration_answer(event_id=meeting.pk, ambassador_id=waiting.pk, answer="yes")
    events.registration_answer(event_id=meeting.pk, ambassador_id=first.pk, answer="no")
    return latest("event_promoted")


def event_waitlisted(language):
    full = event(capacity=0)
    events.registration_answer(event_id=full.pk, ambassador_id=reader(language).pk, answer="yes")
    return latest("event_waitlisted")


def event_updated(language):
    meeting, ambassador = event(), reader(language)
    events.registration_answer(event_id=meeting.pk, ambassador_id=ambassador.pk, answer="yes")
    before = {"starts_at": meeting.starts_at, "ends_at": meeting.ends_at, "place": meeting.place, "address": ""}
    meeting.starts_at += timedelta(hours=1)
    meeting.ends_at += timedelta(hours=1)
    meeting.save()
    events.event_changed(event=meeting, before={**before, "address": meeting.address})
    return latest("event_updated")


def event_cancelled(language):
    meeting, ambassador = event(), reader(language)
    events.registration_answer(event_id=meeting.pk, ambassador_id=ambassador.pk, answer="yes")
    events.registration_answer(event_id=meeting.pk, ambassador_id=ambassador.pk, answer="no")
    return latest("event_cancelled")


def event_reminder(language):
    RegistrationFactory(event=event(starts_at=timezone.now() + timedelta(hours=20)), ambassador=reader(language))
    events.event_reminders_send()
    return latest("event_reminder")


def event_invitation_reminder(language):
    meeting, ambassador = event(), reader(language)
    invitation = CampaignFactory(kind=Campaign.Kind.INVITATION, event=meeting, status=Campaign.Status.SENT)
    DeliveryFactory(campaign=invitation, ambassador=ambassador, status=Delivery.Status.SENT)
    event_answers.invitation_reminders_send(event=meeting)
    return latest("event_invitation_reminder")


def event_follow_up(language):
    """The follow-up text is Swedish only: an English reader gets it wholly in Swedish."""
    ended = event(starts_at=timezone.now() - timedelta(hours=3), follow_up_text="Tack för i dag & välkommen åter!")
    RegistrationFactory(event=ended, ambassador=reader(language), attended=True)
    Registration.objects.filter(event=ended).update(answered_at=ended.starts_at - timedelta(days=1))
    events.event_follow_ups_send()
    return latest("event_follow_up")


def recommendation_notice(language):
    with translation.override(language):
        recruitment.recommendation_submit(
            recommender_name="Bo Ek",
            recommender_email="bo.ek@exempel.se",
            name="Karin Lindqvist",
            contact_details=f"karin.{language}.{next(NUMBERS)}@exempel.se",
            note="Hon kan allt om Höga kusten & fiske.",
        )
    return latest("recommendation_notice")


def recommendation_received(language):
    recommendation_notice(language)
    return latest("recommendation_received")


def recruitment_invitation(language):
    contact = RecruitmentContactFactory(name="Karin Lindqvist", email=f"karin.{language}.{next(NUMBERS)}@exempel.se")
    RecruitmentContact.objects.filter(pk=contact.pk).update(language=language)
    recruitment.contacts_invite(contacts=RecruitmentContact.objects.filter(pk=contact.pk))
    return latest("recruitment_invitation")


def coordinator_digest(language):
    _confirmed(language)
    coordinator_digest_queue()
    return latest("coordinator_digest")


def follow_ups_due(language):
    owner = get_user_model().objects.create_user(
        f"kim{next(NUMBERS)}", "kim.lund@kramfors.se", first_name="Kim", last_name="Lund", is_staff=True
    )
    RecruitmentContactFactory(name="Karin Lindqvist", owner=owner, follow_up_on=timezone.localdate())
    follow_ups_due_queue()
    return latest("follow_ups_due")


def monthly_report(language):
    today = timezone.localdate()
    day = first_weekday(today.year, today.month)
    reader(language)
    monthly_report_queue(now=timezone.make_aware(datetime(day.year, day.month, day.day, 7)))
    return latest("monthly_report")


EXAMPLES = {
    function.__name__: function
    for function in [
        application_confirm,
        already_ambassador,
        application_approved,
        application_declined,
        mypages_link,
        step,
        campaign,
        event_confirmation,
        event_waitlisted,
        event_promoted,
        event_updated,
        event_cancelled,
        event_reminder,
        event_invitation_reminder,
        event_follow_up,
        recommendation_notice,
        recommendation_received,
        recruitment_invitation,
        coordinator_digest,
        follow_ups_due,
        monthly_report,
    ]
}


def example(template: str, language: str) -> Delivery:
    """The example email of this kind for a reader of `language` (staff read Swedish whatever is asked)."""
    assert settings.COORDINATOR_NAME, "call named_coordinator(settings) first"
    return EXAMPLES[template](language)
