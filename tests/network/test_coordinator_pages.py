"""The coordinator's pages for people: applications reviewed on their own page, the list of those waiting, the
warning for someone already recommended, an ambassador's email preferences and unsubscribes, phones as Swedes
write them, localities an import created."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Suppression, Unsubscribe
from network.models import Ambassador, Application, RecruitmentContact
from network.normalize import display_phone
from tests.factories import (
    AmbassadorFactory,
    ApplicationFactory,
    CampaignFactory,
    LocalityFactory,
    RecruitmentContactFactory,
    SuppressionFactory,
    UnsubscribeFactory,
)

pytestmark = pytest.mark.django_db

APPLICATIONS = "/admin/network/application/"


def application(email: str = "anna@example.se", status: str = Application.Status.CONFIRMED, **fields):
    fields = {"first_name": "Anna", "last_name": "Ödmark", "phone": "+46701906448", **fields}
    return ApplicationFactory(
        email=email, status=status, confirmed_at=timezone.now() if status != "unconfirmed" else None, **fields
    )


def listed(client, **params) -> set[str]:
    response = client.get(APPLICATIONS, params)
    assert response.status_code == 200
    return {a.email for a in response.context["cl"].result_list}


def change_page(client, obj) -> str:
    opts = obj._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200
    return response.content.decode()


def decide(client, obj, decision: str, personal_line: str = ""):
    url = reverse("admin:network_application_decide", args=[obj.pk])
    return client.post(url, {"decision": decision, "personal_line": personal_line})


def viewer(django_user_model, *codenames: str) -> Client:
    user = django_user_model.objects.create_user("tittare", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


# The list of applications --------------------------------------------------------------------------------------


@pytest.fixture
def applications():
    return {
        "waiting": application("waiting@example.se"),
        "unconfirmed": application("unconfirmed@example.se", Application.Status.UNCONFIRMED),
        "approved": application("approved@example.se", Application.Status.APPROVED),
        "declined": application("declined@example.se", Application.Status.DECLINED, first_name="Åsa"),
    }


def test_the_list_opens_on_the_applications_waiting_for_review(coordinator_client, applications):
    assert listed(coordinator_client) == {"waiting@example.se"}
    content = coordinator_client.get(APPLICATIONS).content.decode()
    # The filter says so: "Bekräftad, väntar på granskning" is the chosen status, and "Alla" one click away.
    assert 'class="selected"' in content and "?status__exact=all" in content


def test_every_status_and_all_of_them_are_one_click_away(coordinator_client, applications):
    assert listed(coordinator_client, status__exact="all") == {a.email for a in applications.values()}
    assert listed(coordinator_client, status__exact="declined") == {"declined@example.se"}
    assert listed(coordinator_client, status__exact="confirmed") == {"waiting@example.se"}  # the digest's link


def test_a_search_looks_through_every_status(coordinator_client, applications):
    assert listed(coordinator_client, q="asa") == {"declined@example.se"}
    assert listed(coordinator_client, q="example.se", status__exact="approved") == {"approved@example.se"}


def test_the_list_shows_name_email_and_phone_as_swedes_write_it(coordinator_client, applications):
    content = coordinator_client.get(APPLICATIONS).content.decode()
    assert "070-190 64 48" in content and "+46701906448" not in content
    assert "Anna Ödmark" in content and "waiting@example.se" in content


def test_an_action_on_selected_applications_works_whatever_the_list_shows(coordinator_client, applications):
    data = {"action": "decline", "_selected_action": [applications["unconfirmed"].pk], "apply": "1"}
    coordinator_client.post(APPLICATIONS, data)
    applications["unconfirmed"].refresh_from_db()
    assert applications["unconfirmed"].status == Application.Status.DECLINED


# Approve and decline on the application's own page --------------------------------------------------------------


def test_the_page_of_a_confirmed_application_has_approve_and_decline_buttons(coordinator_client):
    content = change_page(coordinator_client, application())
    assert 'id="decision"' in content
    assert 'value="approve"' in content and 'value="decline"' in content
    assert ">Godkänn</button>" in content and ">Avböj</button>" in content


def test_approving_on_the_page_creates_the_ambassador_and_returns_to_the_list(coordinator_client):
    waiting = application()
    response = decide(coordinator_client, waiting, "approve", "Välkommen!")
    assert response.status_code == 302 and response["Location"] == APPLICATIONS
    waiting.refresh_from_db()
    assert waiting.status == Application.Status.APPROVED and waiting.ambassador.email == "anna@example.se"
    assert waiting.decided_by.username == "koordinator"


def test_declining_on_the_page(coordinator_client):
    waiting = application()
    decide(coordinator_client, waiting, "decline")
    waiting.refresh_from_db()
    assert waiting.status == Application.Status.DECLINED


def test_an_unconfirmed_application_can_be_declined_but_not_approved(coordinator_client):
    unconfirmed = application(status=Application.Status.UNCONFIRMED)
    content = change_page(coordinator_client, unconfirmed)
    assert 'value="decline"' in content and 'value="approve"' not in content
    response = decide(coordinator_client, unconfirmed, "approve")
    assert response.status_code == 302
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == Application.Status.UNCONFIRMED


def test_a_decided_application_has_no_buttons(coordinator_client):
    assert 'id="decision"' not in change_page(coordinator_client, application(status=Application.Status.APPROVED))


def test_staff_who_may_only_look_see_no_buttons_and_cannot_decide(django_user_model):
    client = viewer(django_user_model, "view_application")
    waiting = application()
    assert 'id="decision"' not in change_page(client, waiting)
    assert decide(client, waiting, "approve").status_code == 403
    assert client.get(reverse("admin:network_application_decide", args=[waiting.pk])).status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == Application.Status.CONFIRMED


# Recommended before --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("contact", ["070-190 64 48", "+46 70 190 64 48", "0701906448", "ANNA@example.se"])
def test_the_page_warns_when_the_applicant_was_already_recommended(coordinator_client, contact):
    recommendation = RecruitmentContactFactory(
        name="Anna Ödmark",
        contact_details=contact,
        recommender_name="Bo Berg",
        source=RecruitmentContact.Source.RECOMMENDATION,
    )
    content = change_page(coordinator_client, application())
    assert 'id="recommended"' in content
    assert "Redan tipsad: Anna Ödmark tipsades om" in content and "Tipsad av Bo Berg." in content
    assert reverse("admin:network_recruitmentcontact_change", args=[recommendation.pk]) in content


def test_no_warning_for_someone_nobody_recommended(coordinator_client):
    RecruitmentContactFactory(name="Cia Lund", contact_details="070-111 22 33")
    RecruitmentContactFactory(name="Dan", contact_details="dan@example.se")
    assert 'id="recommended"' not in change_page(coordinator_client, application())


# The ambassador's page ------------------------------------------------------------------------------------------


@pytest.fixture
def anna():
    return AmbassadorFactory(first_name="Anna", last_name="Ödmark", email="anna@example.se", phone="+46701906448")


def ambassador_form(ambassador: Ambassador, **changes) -> dict:
    data = {
        "first_name": ambassador.first_name,
        "last_name": ambassador.last_name,
        "email": ambassador.email,
        "phone": "070-190 64 48",
        "language": ambassador.language,
        "status": ambassador.status,
        "source": ambassador.source,
        "wants_newsletters": "on",
        "wants_invitations": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_ambassador_page_shows_and_saves_the_email_preferences(coordinator_client, anna):
    content = change_page(coordinator_client, anna)
    assert 'name="wants_newsletters"' in content and 'name="wants_invitations"' in content
    url = reverse("admin:network_ambassador_change", args=[anna.pk])
    response = coordinator_client.post(url, ambassador_form(anna, wants_newsletters=None))
    assert response.status_code == 302, response.context["errors"] if response.context else response
    anna.refresh_from_db()
    assert (anna.wants_newsletters, anna.wants_invitations) == (False, True)
    assert anna.phone == "+46701906448"  # shown as 070-190 64 48, stored as E.164


def test_the_ambassador_page_shows_unsubscribes_and_a_blocked_address_with_date_and_reason(coordinator_client, anna):
    campaign = CampaignFactory(name="Nyhetsbrev mars")
    unsubscribe = UnsubscribeFactory(ambassador=anna, category="newsletter", source="link", campaign=campaign)
    Unsubscribe.objects.filter(pk=unsubscribe.pk).update(created_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    blocked = SuppressionFactory(email=anna.email, reason="bounce", detail="550 mailbox unavailable")
    Suppression.objects.filter(pk=blocked.pk).update(created_at=dt.datetime(2026, 4, 5, 9, tzinfo=dt.UTC))
    content = change_page(coordinator_client, anna)
    assert "Avregistrerade sig från nyhetsbrev 2026-03-02 (avregistreringssidan) – Nyhetsbrev mars" in content
    assert "Adressen är spärrad sedan 2026-04-05: Hård studs (550 mailbox unavailable)" in content


def test_an_ambassador_who_left_nothing_is_told_so(coordinator_client, anna):
    assert "Har inte avregistrerat sig från något, och adressen är inte spärrad." in change_page(
        coordinator_client, anna
    )


# Phones as Swedes write them ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("+46701906448", "070-190 64 48"),
        ("0701906448", "070-190 64 48"),
        ("+46612123456", "0612-12 34 56"),
        ("+4781549300", "+47 815 49 300"),
        ("anna@example.se", "anna@example.se"),
        ("ring efter fem", "ring efter fem"),
        ("", ""),
    ],
)
def test_display_phone(value, shown):
    assert display_phone(value) == shown


def test_the_ambassador_form_shows_the_phone_as_swedes_write_it(coordinator_client, anna):
    content = change_page(coordinator_client, anna)
    assert 'value="070-190 64 48"' in content and "+46701906448" not in content


def test_staff_who_may_only_look_see_the_phone_and_language_as_words(django_user_model, anna):
    client = viewer(django_user_model, "view_ambassador", "view_application")
    content = change_page(client, anna)
    assert "070-190 64 48" in content and "+46701906448" not in content
    assert "Svenska" in content
    content = change_page(client, application(language="en"))
    assert "070-190 64 48" in content and "Engelska" in content


def test_an_application_page_shows_the_phone_and_language_in_words(coordinator_client):
    content = change_page(coordinator_client, application())
    assert 'value="070-190 64 48"' in content and "Svenska" in content


def test_recruitment_contacts_show_a_phone_as_swedes_write_it(coordinator_client):
    RecruitmentContactFactory(contact_details="+46701112233")
    content = coordinator_client.get(reverse("admin:network_recruitmentcontact_changelist")).content.decode()
    assert "070-111 22 33" in content


# Localities an import creates -----------------------------------------------------------------------------------


def test_the_coordinator_marks_a_locality_public_in_the_list(coordinator_client):
    LocalityFactory(name="Kramfrs", is_public=False)
    url = reverse("admin:network_locality_changelist")
    content = coordinator_client.get(url, {"is_public__exact": "0"}).content.decode()
    assert "Kramfrs" in content and 'name="form-0-is_public"' in content
