"""The event page's tools (issue 19): invite in one step (a draft invitation whose email shows the event by
itself), who has answered and who has not, a reminder to those who have not (once), copy an event, and the
participant list to print."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.emails import build_message
from campaigns.models import Campaign, Delivery, Segment
from campaigns.services import invitation_draft
from campaigns.services.newsletters import campaign_checklist
from network import events
from network.event_answers import event_answers, invitation_reminders_send
from network.models import Event, Registration
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    DeliveryFactory,
    EventFactory,
    LocalityFactory,
    RegistrationFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

YES, NO, WAITLIST = Registration.Answer.YES, Registration.Answer.NO, Registration.Answer.WAITLIST


def invited(event, *ambassadors, status=Delivery.Status.SENT, is_test=False):
    campaign = CampaignFactory(kind=Campaign.Kind.INVITATION, event=event, status=Campaign.Status.SENT)
    for ambassador in ambassadors:
        DeliveryFactory(campaign=campaign, ambassador=ambassador, status=status, is_test=is_test)
    return campaign


@pytest.fixture
def viewer_client(client, django_user_model):
    """Staff who may look at events and ambassadors, but change nothing."""
    user = django_user_model.objects.create_user("tittare", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_event", "view_ambassador"]))
    client.force_login(user)
    return client


# Invite ------------------------------------------------------------------------------------------------------


def test_invite_makes_a_draft_invitation_to_every_active_ambassador(coordinator_client):
    event = EventFactory(title="Vårträff", description="Vi planerar sommaren.")
    page = coordinator_client.get(f"/admin/network/event/{event.pk}/change/")
    assert f"/admin/network/event/{event.pk}/invite/" in page.text
    form = coordinator_client.get(f"/admin/network/event/{event.pk}/invite/")
    assert form.status_code == 200 and "Alla aktiva ambassadörer" in form.text
    response = coordinator_client.post(f"/admin/network/event/{event.pk}/invite/", {"audience": "all"})
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/campaigns/campaign/{campaign.pk}/change/"
    assert coordinator_client.get(response["Location"]).status_code == 200
    assert (campaign.kind, campaign.status, campaign.event) == (Campaign.Kind.INVITATION, Campaign.Status.DRAFT, event)
    assert "Vårträff" in campaign.subject and campaign.subject.startswith("Inbjudan")
    assert "Hej {{ first_name }}!" in campaign.body and "Vi planerar sommaren." in campaign.body
    assert campaign.segment.name == "Alla aktiva ambassadörer"
    # A second invitation reuses the same untouched audience.
    coordinator_client.post(f"/admin/network/event/{event.pk}/invite/", {"audience": "all"})
    assert Segment.objects.count() == 1
    # ... and does not offer it twice; once narrowed it is a saved audience like any other.
    assert (
        coordinator_client.get(f"/admin/network/event/{event.pk}/invite/").text.count("Alla aktiva ambassadörer") == 1
    )
    campaign.segment.localities.add(LocalityFactory(name="Nyland"))
    assert (
        coordinator_client.get(f"/admin/network/event/{event.pk}/invite/").text.count("Alla aktiva ambassadörer") == 2
    )
    coordinator_client.post(f"/admin/network/event/{event.pk}/invite/", {"audience": "all"})
    assert Segment.objects.count() == 2 and Campaign.objects.latest("pk").segment.localities.count() == 0


def test_invite_to_a_saved_audience_and_garbage_choices(coordinator_client):
    event, segment = EventFactory(), SegmentFactory(name="Ådalen")
    coordinator_client.post(f"/admin/network/event/{event.pk}/invite/", {"audience": str(segment.pk)})
    assert Campaign.objects.get().segment == segment
    for garbage in ["999999", "x", "", "99999999999999999999999"]:
        page = coordinator_client.post(f"/admin/network/event/{event.pk}/invite/", {"audience": garbage})
        assert page.status_code == 200 and "Välj vilka som bjuds in" in page.text
    assert coordinator_client.post(f"/admin/network/event/{event.pk}/invite/").status_code == 200  # nothing posted
    assert Campaign.objects.count() == 1
    assert coordinator_client.get("/admin/network/event/999999/invite/").status_code == 404


def test_the_draft_invitation_passes_the_checklist_and_shows_the_event_by_itself():
    anna = AmbassadorFactory(first_name="Anna")
    start = timezone.make_aware(timezone.datetime(2026, 11, 23, 18, 0))
    event = EventFactory(
        title="Höstträff",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Kramfors bibliotek",
        address="Torggatan 6",
        rsvp_deadline=start - timedelta(days=3),
    )
    campaign = invitation_draft(event=event)
    assert campaign.subject == "Inbjudan: Höstträff, 23 nov 2026"
    assert all(ok for _label, ok in campaign_checklist(campaign)), campaign_checklist(campaign)
    message = build_message(DeliveryFactory(campaign=campaign, ambassador=anna))
    html, link = message.alternatives[0][0], events.rsvp_url(event.pk, anna.pk)
    for part in (message.body, html):
        assert "måndag 23 november 2026 kl. 18:00–20:00" in part
        assert "Kramfors bibliotek, Torggatan 6" in part
        assert "20 november" in part  # the answer deadline
    assert link in message.body and html.count(f'href="{link}"') == 1
    assert "Hej Anna!" in message.body and "{{" not in message.body + html


@pytest.mark.parametrize("field", ["{{ rsvp_url }}", "{{svarslänk}}", "{{ Svarslänk }}"])
def test_an_old_invitation_with_its_own_link_shows_no_second_button(field):
    anna = AmbassadorFactory()
    event = EventFactory(place="Folkets hus")
    campaign = CampaignFactory(
        kind=Campaign.Kind.INVITATION, event=event, body=f"Hej! [Svara här]({field})", segment=SegmentFactory()
    )
    message = build_message(DeliveryFactory(campaign=campaign, ambassador=anna))
    link = events.rsvp_url(event.pk, anna.pk)
    assert message.alternatives[0][0].count(f'href="{link}"') == 1 and message.body.count(link) == 1
    assert "Folkets hus" in message.body  # the event block still shows when and where


def test_a_newsletter_has_no_event_block():
    message = build_message(DeliveryFactory(campaign=CampaignFactory(), ambassador=AmbassadorFactory()))
    assert "/svar/" not in message.body and "Var:" not in message.body


# Answers -----------------------------------------------------------------------------------------------------


def test_the_answers_are_exact_in_a_fixed_number_of_queries(coordinator_client):
    event = EventFactory()
    yes, waiting, no, silent, tested, failed, walk_in = (AmbassadorFactory(last_name=f"E{n}") for n in range(7))
    invited(event, yes, waiting, no, silent)
    invited(event, tested, is_test=True)  # the coordinator's test copy is no invitation
    invited(event, failed, status=Delivery.Status.FAILED)
    invited(EventFactory(), AmbassadorFactory())  # another event's invitation
    RegistrationFactory(event=event, ambassador=yes, answer=YES)
    RegistrationFactory(event=event, ambassador=waiting, answer=WAITLIST)
    RegistrationFactory(event=event, ambassador=no, answer=NO)
    RegistrationFactory(event=event, ambassador=walk_in, answer=YES)
    with CaptureQueriesContext(connection) as queries:
        answers = event_answers(event)
    assert len(queries) == 3
    assert answers.invited == 4
    assert answers.yes == [yes, walk_in] and answers.waitlist == [waiting] and answers.no == [no]
    assert answers.not_answered == [silent]
    page = coordinator_client.get(f"/admin/network/event/{event.pk}/change/")
    assert "4 inbjudna" in page.text and silent.full_name in page.text
    assert "Påminn dem som inte svarat" in page.text


# Remind ------------------------------------------------------------------------------------------------------


def test_remind_those_who_have_not_answered_once(coordinator_client):
    event = EventFactory()
    answered, silent, other = AmbassadorFactory(), AmbassadorFactory(first_name="Siv"), AmbassadorFactory()
    invited(event, answered, silent)
    RegistrationFactory(event=event, ambassador=answered, answer=NO)
    url = f"/admin/network/event/{event.pk}/remind/"
    confirm = coordinator_client.get(url)
    assert confirm.status_code == 200 and silent.full_name in confirm.text and answered.full_name not in confirm.text
    assert not Delivery.objects.filter(template="event_invitation_reminder").exists()  # GET sends nothing
    response = coordinator_client.post(url, follow=True)
    assert "1 person som inte svarat har fått en påminnelse." in response.text
    coordinator_client.post(url)  # a double click
    reminders = Delivery.objects.filter(template="event_invitation_reminder")
    assert list(reminders.values_list("ambassador", flat=True)) == [silent.pk]
    assert other.pk not in reminders.values_list("ambassador", flat=True)
    message = build_message(reminders.get())
    assert "Hej Siv!" in message.body and events.rsvp_url(event.pk, silent.pk) in message.body
    assert event.title in message.subject


def test_no_reminder_once_answers_are_closed(coordinator_client):
    event = EventFactory(rsvp_deadline=timezone.now() - timedelta(hours=1))
    invited(event, AmbassadorFactory())
    response = coordinator_client.post(f"/admin/network/event/{event.pk}/remind/", follow=True)
    assert "Tiden att svara har gått ut" in response.text
    assert invitation_reminders_send(event=event) == 0
    assert not Delivery.objects.filter(template="event_invitation_reminder").exists()


def test_reminders_skip_those_who_no_longer_want_invitations():
    event = EventFactory()
    invited(event, AmbassadorFactory(wants_invitations=False), AmbassadorFactory(status="paused"), AmbassadorFactory())
    assert invitation_reminders_send(event=event) == 1


# Copy --------------------------------------------------------------------------------------------------------


def test_copy_prefills_the_add_form_without_dates(coordinator_client):
    event = EventFactory(
        title="Utbildning i bemötande",
        kind=Event.Kind.TRAINING,
        description="Om att ta emot nya.",
        capacity=12,
        is_training=True,
        follow_up_text="Tack för i dag!",
    )
    change = coordinator_client.get(f"/admin/network/event/{event.pk}/change/")
    assert f"/admin/network/event/add/?copy_from={event.pk}" in change.text
    form = coordinator_client.get(f"/admin/network/event/add/?copy_from={event.pk}").context["adminform"].form
    assert form.initial["title"] == "Utbildning i bemötande" and form.initial["capacity"] == 12
    assert form.initial["is_training"] is True and form.initial["follow_up_text"] == "Tack för i dag!"
    assert form.initial["place"] == event.place and form.initial["address"] == event.address
    assert "starts_at" not in form.initial and "rsvp_deadline" not in form.initial
    for garbage in ["x", "999999", "99999999999999999999999"]:
        assert coordinator_client.get(f"/admin/network/event/add/?copy_from={garbage}").status_code == 200


# The participant list ----------------------------------------------------------------------------------------


def test_the_participant_list_to_print(coordinator_client):
    event = EventFactory(title="Höstträff", place="Kramfors bibliotek")
    bodil = AmbassadorFactory(
        first_name="Bodil", last_name="Berg", phone="+46701234567", locality=LocalityFactory(name="Nyland")
    )
    RegistrationFactory(event=event, ambassador=bodil, answer=YES)
    RegistrationFactory(event=event, ambassador=AmbassadorFactory(last_name="Väntar"), answer=WAITLIST)
    RegistrationFactory(event=event, ambassador=AmbassadorFactory(last_name="Nejsägare"), answer=NO)
    page = coordinator_client.get(f"/admin/network/event/{event.pk}/participants/")
    assert page.status_code == 200
    assert "@media print" in page.text and "Höstträff" in page.text and "Kramfors bibliotek" in page.text
    assert "Bodil Berg" in page.text and "Nyland" in page.text and "070-123 45 67" in page.text
    assert "Namnteckning" in page.text
    assert "Väntelista (1)" in page.text and "Väntar" in page.text and "Nejsägare" not in page.text
    coming = page.text[page.text.index("Kommer (1)") : page.text.index("Väntelista (1)")]
    assert "Väntar" not in coming


# Permissions -------------------------------------------------------------------------------------------------


def test_without_the_right_to_change_events_nothing_is_made_or_sent(viewer_client):
    event = EventFactory()
    invited(event, AmbassadorFactory())
    for url in (f"/admin/network/event/{event.pk}/invite/", f"/admin/network/event/{event.pk}/remind/"):
        assert viewer_client.get(url).status_code == 403
        assert viewer_client.post(url, {"audience": "all"}).status_code == 403
    assert not Campaign.objects.filter(event=event, status=Campaign.Status.DRAFT).exists()
    assert not Delivery.objects.filter(template="event_invitation_reminder").exists()
    assert viewer_client.get(f"/admin/network/event/add/?copy_from={event.pk}").status_code == 403
    page = viewer_client.get(f"/admin/network/event/{event.pk}/change/")
    assert "/invite/" not in page.text and "copy_from" not in page.text  # no links to what they may not do
    # Looking at the list for the door is allowed to who may see events and ambassadors.
    assert viewer_client.get(f"/admin/network/event/{event.pk}/participants/").status_code == 200


def test_the_participant_list_needs_the_right_to_see_ambassadors(client, django_user_model):
    user = django_user_model.objects.create_user("bara-event", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_event", "change_event"]))
    client.force_login(user)
    event = EventFactory()
    assert client.get(f"/admin/network/event/{event.pk}/participants/").status_code == 403
    # Inviting needs the right to make campaigns too.
    assert client.post(f"/admin/network/event/{event.pk}/invite/", {"audience": "all"}).status_code == 403
    client.logout()
    assert client.get(f"/admin/network/event/{event.pk}/participants/").status_code == 302
