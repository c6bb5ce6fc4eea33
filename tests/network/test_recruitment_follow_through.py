"""Recruitment follow-through (issue 19, point 7): a tip from /tipsa/ is the duty coordinator's, with a follow-up
date, so it shows under "Uppföljningar"; "Bjud in att ansöka" is a button on the contact's page; the stages say who
said no; /tipsa/ says what happens next."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Delivery
from network import services
from network.models import RecruitmentContact, StageChange
from network.selectors import recruitment_contacts_follow_up_due, recruitment_follow_up_owners
from network.timeline import contact_timeline
from tests.factories import AmbassadorFactory, RecruitmentContactFactory, StageChangeFactory
from tests.network.public_forms import RECOMMEND, recommend_data

pytestmark = pytest.mark.django_db

Stage = RecruitmentContact.Status
TODAY = dt.date(2026, 11, 23)


def _recommend(client, **overrides) -> RecruitmentContact:
    response = client.post(RECOMMEND, recommend_data(**overrides))
    assert response.status_code == 302
    return RecruitmentContact.objects.get()


# A new tip: the duty coordinator's, with a follow-up date --------------------------------------------------------


def test_a_new_tip_is_the_named_duty_coordinators_and_due_after_the_configured_days(
    client, coordinator, django_user_model, settings
):
    django_user_model.objects.create_user("forst", email="forst@kramfors.se", is_staff=True)
    duty = django_user_model.objects.create_user("maria", email="Maria.Ek@kramfors.se", is_staff=True)
    settings.RECRUITMENT_DUTY_COORDINATOR = "maria.ek@kramfors.se"
    settings.RECRUITMENT_FOLLOW_UP_DAYS = 4
    today = timezone.localdate()

    contact = _recommend(client)

    assert contact.owner == duty
    assert contact.follow_up_on == today + dt.timedelta(days=4)
    assert contact not in recruitment_contacts_follow_up_due(today + dt.timedelta(days=3))
    assert contact in recruitment_contacts_follow_up_due(today + dt.timedelta(days=4))
    assert list(recruitment_follow_up_owners(today + dt.timedelta(days=4))) == [duty]  # their daily email


def test_a_new_tip_shows_under_uppfoljningar_when_it_is_due(client, coordinator_client, coordinator, settings):
    settings.RECRUITMENT_DUTY_COORDINATOR = "koordinator"
    settings.RECRUITMENT_FOLLOW_UP_DAYS = 0
    changelist = reverse("admin:network_recruitmentcontact_changelist")
    assert "Cecilia Ek" not in coordinator_client.get(changelist + "?due=yes").content.decode()

    contact = _recommend(client)

    assert contact.owner == coordinator
    due = coordinator_client.get(changelist + f"?due=yes&owner__id__exact={coordinator.pk}").content.decode()
    assert "Cecilia Ek" in due


def test_without_a_named_duty_coordinator_a_tip_is_the_first_active_member_of_staffs(
    client, django_user_model, settings
):
    django_user_model.objects.create_user("gone", is_staff=True, is_active=False)
    django_user_model.objects.create_user("volunteer")  # not staff
    first = django_user_model.objects.create_user("anna", is_staff=True)
    django_user_model.objects.create_user("bo", is_staff=True)
    settings.RECRUITMENT_DUTY_COORDINATOR = "nobody-by-that-name"

    assert _recommend(client).owner == first


def test_a_tip_with_no_member_of_staff_at_all_still_gets_its_follow_up_date(client):
    contact = _recommend(client)
    assert contact.owner is None
    assert contact.follow_up_on == timezone.localdate() + dt.timedelta(days=3)


# "Bjud in att ansöka" on the contact's page -------------------------------------------------------------------


def test_the_invite_button_invites_the_contact_and_says_so_in_swedish(coordinator_client, coordinator):
    contact = RecruitmentContactFactory(name="Vera Ny", email="vera@example.se")
    page = reverse("admin:network_recruitmentcontact_change", args=[contact.pk])
    html = coordinator_client.get(page).content.decode()
    invite = reverse("admin:network_recruitmentcontact_invite", args=[contact.pk])
    assert f'action="{invite}"' in html
    assert "Bjud in att ansöka</button>" in html

    response = coordinator_client.post(invite, follow=True)

    assert response.redirect_chain[-1][0] == page
    assert "Vera Ny har fått en inbjudan att ansöka" in response.content.decode()
    assert Delivery.objects.get(template="recruitment_invitation").to_email == "vera@example.se"
    contact.refresh_from_db()
    assert contact.status == Stage.CONTACTED
    assert contact.invited_at is not None
    change = StageChange.objects.get(contact=contact)
    assert (change.reason, change.changed_by) == (StageChange.Reason.INVITED, coordinator)


@pytest.mark.parametrize(
    ("details", "reason"),
    [
        ({"contact_details": "070-111 22 33"}, "Det finns ingen e-postadress att skicka inbjudan till."),
        ({"email": "applied@example.se", "status": Stage.APPLIED}, "Kontakten har redan ansökt"),
        ({"email": "no@example.se", "status": Stage.NOT_INTERESTED}, "tackat nej"),
        ({"email": "member@example.se"}, "Kontakten är redan ambassadör."),
    ],
)
def test_the_invite_button_is_off_with_the_reason_when_the_contact_cannot_be_invited(
    coordinator_client, details, reason
):
    AmbassadorFactory(email="member@example.se")
    contact = RecruitmentContactFactory(**details)
    html = coordinator_client.get(reverse("admin:network_recruitmentcontact_change", args=[contact.pk])).content
    html = html.decode()
    assert reason in html
    assert "disabled" in html.split('class="module aligned invite-to-apply"')[1].split("</form>")[0]

    # A tampered POST (the button was off) invites nobody and says why.
    response = coordinator_client.post(
        reverse("admin:network_recruitmentcontact_invite", args=[contact.pk]), follow=True
    )
    assert response.status_code == 200
    assert "Ingen bjöds in" in response.content.decode()
    assert not Delivery.objects.filter(template="recruitment_invitation").exists()


def test_the_invite_button_needs_the_change_permission_a_post_and_an_existing_contact(
    client, coordinator_client, django_user_model
):
    from django.contrib.auth.models import Permission

    contact = RecruitmentContactFactory(email="vera@example.se")
    invite = reverse("admin:network_recruitmentcontact_invite", args=[contact.pk])
    assert coordinator_client.get(invite).status_code == 405
    assert (
        coordinator_client.post(reverse("admin:network_recruitmentcontact_invite", args=["999999"])).status_code == 403
    )
    assert coordinator_client.post(reverse("admin:network_recruitmentcontact_invite", args=["x%00"])).status_code in (
        403,
        404,
    )

    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_recruitmentcontact"))
    client.force_login(viewer)
    page = client.get(reverse("admin:network_recruitmentcontact_change", args=[contact.pk])).content.decode()
    assert invite not in page
    assert client.post(invite).status_code == 403
    assert not Delivery.objects.filter(template="recruitment_invitation").exists()


# Who said no ----------------------------------------------------------------------------------------------------


def test_the_stages_say_who_said_no_in_the_admin_and_on_the_timeline(coordinator_client, coordinator):
    said_no = RecruitmentContactFactory(name="Per Nej", status=Stage.NOT_INTERESTED)
    closed = RecruitmentContactFactory(name="Lisa Slut")
    services.contact_stage_set(contact=closed, stage=Stage.CLOSED, by=coordinator)

    assert [entry.text for entry in contact_timeline(closed)][0] == "Steg: Identifierad → Avslutad av oss"
    listing = coordinator_client.get(reverse("admin:network_recruitmentcontact_changelist")).content.decode()
    assert "Tackade nej (1)" in listing
    assert "Avslutad av oss (1)" in listing
    closed_only = coordinator_client.get(
        reverse("admin:network_recruitmentcontact_changelist") + "?status__exact=closed"
    ).content.decode()
    assert "Lisa Slut" in closed_only
    assert "Per Nej" not in closed_only
    assert said_no.get_status_display() == "Tackade nej"


def test_a_contact_who_said_no_or_was_closed_is_not_followed_up_invited_or_joined_by_an_approval(coordinator):
    for stage in (Stage.NOT_INTERESTED, Stage.CLOSED):
        RecruitmentContactFactory(email=f"{stage}@example.se", status=stage, follow_up_on=TODAY)
    assert not recruitment_contacts_follow_up_due(TODAY).exists()
    assert services.contacts_invite(contacts=RecruitmentContact.objects.all(), by=coordinator) == (0, 2)


def test_the_closed_stage_is_recorded_in_the_stage_history(coordinator):
    contact = RecruitmentContactFactory()
    StageChangeFactory(contact=contact, from_status=Stage.NEW, to_status=Stage.CONTACTED)
    services.contact_stage_set(contact=contact, stage=Stage.CLOSED, by=coordinator)
    assert StageChange.objects.filter(contact=contact, to_status=Stage.CLOSED, changed_by=coordinator).exists()


# /tipsa/ says what happens next -----------------------------------------------------------------------------------


def test_the_recommendation_page_and_its_thanks_say_what_happens_next(client):
    page = client.get(RECOMMEND).content.decode()
    assert "Vad händer sedan?" in page
    assert "får hen genast ett mejl från oss" in page
    assert "hur hen tackar nej med ett klick" in page
    thanks = client.get("/tipsa/tack/").content.decode()
    assert "får personen du tipsade om ett mejl från oss nu" in thanks
    assert "kontaktar ambassadörssamordnaren hen inom några dagar" in thanks


# The phone on the contact's page ----------------------------------------------------------------------------------


def test_the_contacts_page_shows_the_phone_as_swedes_write_it_and_saves_it_as_e164(coordinator_client):
    contact = RecruitmentContactFactory(name="Lo Berg", phone="+46703653498")
    page = reverse("admin:network_recruitmentcontact_change", args=[contact.pk])
    assert 'value="070-365 34 98"' in coordinator_client.get(page).content.decode()

    response = coordinator_client.post(
        page, {"name": "Lo Berg", "phone": "070-365 34 99", "status": Stage.NEW, "source": "manual"}
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "+46703653499"
