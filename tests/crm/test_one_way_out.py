"""One way out: every path the admin offers to remove someone erases them (crm.privacy), and leaves nothing.

The paths are read from the admin registry: every registered model whose rows hold people's data (as
tests/crm/test_privacy.py finds them) and that the coordinator may delete, by its delete button and by every bulk
action that deletes or erases. Each path removes a person built the way people arrive (signup, confirmation,
approval, a recommendation, an answer to an invitation, Mina sidor); afterwards no column of any table holds their
name, address, phone number or words, read as the database stores them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import reverse

from campaigns.models import Delivery
from crm.models import AuditEntry
from crm.tokens import token_make
from mypages.services import sign_in_link_request
from network.events import registration_answer
from network.models import Ambassador, Application, RecruitmentContact, Registration
from network.services import (
    ambassador_leave,
    application_approve,
    application_confirm,
    application_submit,
    contacts_invite,
    recommendation_submit,
)
from tests.crm.test_privacy import NOT_ABOUT_PEOPLE, mentions, models_about_people
from tests.factories import AmbassadorFactory, EventFactory, RecruitmentContactFactory

pytestmark = pytest.mark.django_db

FIRST, LAST = "Quirinalis", "Zebrowskaja"
ADDRESS, PHONE = "quirinalis.zebrowskaja@example.org", "+46701234567"
WORDS = "fjällbjörkarna vid Ångermanälven"
MARKERS = ["quirinalis", "zebrowskaja", "quirinalis.zebrowskaja", "701234567", "fjällbjörkarna"]


def _logged(obj) -> None:
    """A change in the admin's log, naming the row (as every save in the admin does)."""
    LogEntry.objects.create(
        user=User.objects.get_or_create(username="ola")[0],
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj),
        action_flag=CHANGE,
        change_message="[]",
    )


def _signed_up() -> Application:
    application = application_submit(
        first_name=FIRST, last_name=LAST, email_address=ADDRESS, phone=PHONE, motivation=WORDS, heard_about=WORDS
    )
    application_confirm(token=token_make("confirm", application.pk))
    application.refresh_from_db()
    _logged(application)
    return application


def _recommended_by_a_friend() -> None:
    recommendation_submit(
        recommender_name="Bo Berg", recommender_email="bo@example.se", name=f"{FIRST} {LAST}", contact_details=ADDRESS
    )


def an_ambassador() -> Ambassador:
    """Recommended by a friend, signs up, confirms, is approved (welcome email), recommends someone, answers yes to
    an event, asks for a Mina sidor link, and leaves."""
    _recommended_by_a_friend()
    person = application_approve(application=_signed_up())
    recommendation_submit(
        recommender_name=f"{FIRST} {LAST}",
        recommender_email=ADDRESS,
        name="Vän Vänsson",
        contact_details="van@example.se",
    )
    event = EventFactory(title="Fika", capacity=10)
    registration_answer(event_id=event.pk, ambassador_id=person.pk, answer=Registration.Answer.YES)
    sign_in_link_request(email_address=ADDRESS)
    ambassador_leave(ambassador=person)
    _logged(person)
    return person


def an_applicant() -> Application:
    """Recommended by a friend, then signs up and confirms; not yet approved."""
    _recommended_by_a_friend()
    return _signed_up()


def a_recommended_person() -> RecruitmentContact:
    """Recommended on /tipsa/ (a notice to them and one to the coordinator), then invited to apply."""
    contact = recommendation_submit(
        recommender_name="Bo Berg",
        recommender_email="bo@example.se",
        name=f"{FIRST} {LAST}",
        contact_details=f"{ADDRESS}, 070-123 45 67",
        note=WORDS,
    )
    contacts_invite(contacts=RecruitmentContact.objects.filter(pk=contact.pk))
    _logged(contact)
    return contact


# How to make a person whose row is of each model: a model that holds people's data and may be deleted in the
# admin without a builder here fails test_every_delete_path_is_known.
PEOPLE = {
    "network.ambassador": an_ambassador,
    "network.application": an_applicant,
    "network.recruitmentcontact": a_recommended_person,
}


def delete_paths() -> list[tuple[str, str]]:
    """(model, path) for every way the admin offers a superuser to delete rows of a model about people: the delete
    button ("delete_view") and each bulk action named for deleting or erasing."""
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    about_people = {model._meta.label_lower for model in models_about_people()} - set(NOT_ABOUT_PEOPLE)
    paths = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if label not in about_people or not model_admin.has_delete_permission(request):
            continue
        paths.append((label, "delete_view"))
        paths += [(label, name) for name in model_admin.get_actions(request) if "delete" in name or "erase" in name]
    return sorted(paths)


PATHS = delete_paths()


def test_every_delete_path_is_known():
    assert {label for label, _path in PATHS} == set(PEOPLE), "give each model about people a builder in PEOPLE"
    assert ("network.ambassador", "delete_selected") not in PATHS  # Django's own bulk delete is not offered


def remove(client, obj, path: str):
    opts = obj._meta
    if path == "delete_view":
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
        asked = client.get(url)
        assert asked.status_code == 200 and FIRST in asked.content.decode()  # the page says who goes
        return client.post(url, {"post": "yes"})
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    asked = client.post(url, {"action": path, ACTION_CHECKBOX_NAME: [obj.pk]})
    assert asked.status_code == 200 and FIRST in asked.content.decode()
    return client.post(url, {"action": path, ACTION_CHECKBOX_NAME: [obj.pk], "post": "yes"})


@pytest.mark.parametrize(("label", "path"), PATHS, ids=[f"{label}-{path}" for label, path in PATHS])
def test_every_delete_path_leaves_nothing_of_the_person(coordinator, coordinator_client, label, path):
    person = PEOPLE[label]()
    assert set(MARKERS) <= {m for m in MARKERS if any(repr(m) in line for line in mentions(MARKERS))}
    emails = Delivery.objects.count()

    response = remove(coordinator_client, person, path)

    assert response.status_code == 302, response.content.decode()[:500]
    assert not type(person).objects.filter(pk=person.pk).exists()
    assert mentions(MARKERS) == []
    assert Delivery.objects.count() == emails  # anonymised, not deleted: the campaigns count the same
    erased = list(AuditEntry.objects.filter(action=AuditEntry.Action.ERASE).values_list("ambassador_id", flat=True))
    assert erased == ([person.pk] if label == "network.ambassador" else [])


def test_an_ambassadors_application_is_removed_with_the_ambassador_not_alone(coordinator, coordinator_client):
    person = an_ambassador()
    application = Application.objects.get(ambassador=person)
    url = reverse("admin:network_application_delete", args=[application.pk])
    assert coordinator_client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:network_application_changelist")
    coordinator_client.post(
        changelist, {"action": "erase_people", ACTION_CHECKBOX_NAME: [application.pk], "post": "yes"}
    )
    assert Application.objects.filter(pk=application.pk).exists() and Ambassador.objects.filter(pk=person.pk).exists()


def test_records_about_people_cannot_be_deleted_one_by_one(coordinator_client):
    """An email sent, a consent, an unsubscribe, an address never to be mailed, a place in a series: they go only
    with the person."""
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    kept = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if model in models_about_people()
        and model._meta.label_lower not in NOT_ABOUT_PEOPLE
        and not model_admin.has_delete_permission(request)
    ]
    assert {
        "campaigns.delivery",
        "campaigns.enrollment",
        "campaigns.suppression",
        "campaigns.unsubscribe",
        "network.consentrecord",
    } <= set(kept)


@dataclass
class Stranger:
    """The person the hostile ambassador pretends to be."""

    contact: RecruitmentContact
    application: Application


def a_stranger() -> Stranger:
    """Someone recommended with a phone number, and someone who signed up without confirming: both are about a
    Ylva Yxbacka, not about whoever later types her number, name or address."""
    contact = recommendation_submit(
        recommender_name="Bo Berg",
        recommender_email="bo@example.se",
        name="Ylva Yxbacka",
        contact_details="070-111 22 33",
        note="Ylva driver caféet i Bollstabruk",
    )
    application = application_submit(
        first_name="Ylva",
        last_name="Yxbacka",
        email_address="ylva@example.se",
        phone="+46701112233",
        motivation="Caféet",
    )
    return Stranger(contact, application)


@pytest.mark.parametrize("pretends", ["phone", "name", "address"])
def test_a_hostile_ambassador_gets_nothing_of_the_stranger_and_erases_nothing_of_hers(pretends):
    from crm.privacy import person_data, person_erase

    stranger = a_stranger()
    her = AmbassadorFactory(first_name="Hilda", last_name="Hård", email="hilda@example.se", phone="")
    if pretends == "phone":  # as Mina sidor lets her
        her.phone = "+46701112233"
        her.save()
    elif pretends == "name":
        her.first_name, her.last_name = "Ylva", "Yxbacka"
        her.save()
    else:  # she signs up again with the stranger's address (which she cannot confirm)
        application_submit(first_name="Hilda", last_name="Hård", email_address="ylva@example.se", motivation="Jag")

    data = str(person_data(her)).lower()
    assert "bollstabruk" not in data and "caféet" not in data and "ylva@example.se" not in data
    assert "070-111 22 33" not in data

    person_erase(her)

    assert RecruitmentContact.objects.filter(pk=stranger.contact.pk).exists()
    assert Application.objects.filter(pk=stranger.application.pk, email="ylva@example.se").exists()
    assert Delivery.objects.filter(application=stranger.application, to_email="ylva@example.se").exists()


def test_erasing_an_unconfirmed_application_with_a_strangers_address_leaves_the_contact_about_her():
    """Someone signs up with the address of a recommended person (the contact then points at the application); the
    application is erased (by the coordinator, or by retention), and the contact about the real owner stays."""
    from network.privacy import applications_erase

    contact = recommendation_submit(
        recommender_name="Bo", recommender_email="bo@example.se", name="Ylva", contact_details="ylva@example.se"
    )
    forged = application_submit(first_name="Hilda", last_name="Hård", email_address="ylva@example.se")
    assert RecruitmentContact.objects.get(pk=contact.pk).application_id == forged.pk

    assert applications_erase([forged.pk]) == 1

    assert RecruitmentContact.objects.filter(pk=contact.pk, application=None, email="ylva@example.se").exists()


def test_a_typed_phone_number_only_suggests_and_the_coordinators_link_makes_it_theirs(coordinator_client):
    from crm.privacy import person_data

    stranger = a_stranger()
    ylva = AmbassadorFactory(first_name="Ylva", last_name="Yxbacka", phone="+46701112233", email="y@example.se")
    assert not person_data(ylva)["network.recruitmentcontact"]

    page = coordinator_client.get(reverse("admin:network_recruitmentcontact_change", args=[stranger.contact.pk]))
    text = page.content.decode()
    assert "Kan vara samma person som" in text and "samma telefonnummer" in text and "samma namn" in text
    assert f'value="ambassador:{ylva.pk}"' in text

    # A forged choice (not a suggestion) links nothing; the suggested one links.
    link = reverse("admin:network_recruitmentcontact_link", args=[stranger.contact.pk])
    other = AmbassadorFactory(first_name="Olle", email="olle@example.se")
    coordinator_client.post(link, {"person": f"ambassador:{other.pk}"})
    assert RecruitmentContact.objects.get(pk=stranger.contact.pk).ambassador_id is None
    assert coordinator_client.post(link, {"person": f"ambassador:{ylva.pk}"}).status_code == 302
    assert RecruitmentContact.objects.get(pk=stranger.contact.pk).ambassador_id == ylva.pk

    assert [row["id"] for row in person_data(ylva)["network.recruitmentcontact"]] == [stranger.contact.pk]
    assert (
        "Kan vara samma person som"
        not in coordinator_client.get(
            reverse("admin:network_recruitmentcontact_change", args=[stranger.contact.pk])
        ).content.decode()
    )


def test_linking_needs_the_right_to_change_the_contact(django_user_model, client):
    from django.contrib.auth.models import Permission

    stranger = a_stranger()
    ylva = AmbassadorFactory(first_name="Ylva", last_name="Yxbacka", phone="+46701112233", email=None)
    viewer = django_user_model.objects.create_user("tittare", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_recruitmentcontact"))
    client.force_login(viewer)
    link = reverse("admin:network_recruitmentcontact_link", args=[stranger.contact.pk])
    assert client.post(link, {"person": f"ambassador:{ylva.pk}"}).status_code == 403
    assert RecruitmentContact.objects.get(pk=stranger.contact.pk).ambassador_id is None


def test_the_export_and_erasure_take_the_same_number_of_queries_whatever_the_number_of_contacts(
    django_assert_max_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.privacy import person_data, person_erase

    def measured(contacts: int) -> tuple[int, int]:
        RecruitmentContact.objects.bulk_create(
            RecruitmentContact(name=f"Kontakt {n}", contact_details=f"070-{n:07d}", phone=f"+4670{n:07d}")
            for n in range(contacts)
        )
        person = AmbassadorFactory(first_name="Pia", email=f"pia{contacts}@example.se", phone="+46700000001")
        RecruitmentContactFactory(name="Pia", email=person.email)
        with CaptureQueriesContext(connection) as export:
            person_data(person)
        with CaptureQueriesContext(connection) as erasure:
            person_erase(person)
        return len(export), len(erasure)

    assert measured(10) == measured(300)


def test_the_privacy_notice_says_what_leaving_and_erasing_do(client, settings):
    page = " ".join(client.get(reverse("privacy")).content.decode().split())
    assert "På Mina sidor kan du lämna nätverket" in page
    assert f"som tidigare ambassadör i {settings.RETENTION_ALUMNI_DAYS} dagar" in page
    assert "utan ditt namn och din adress" in page and "bara som en kod" in page
    assert "Ett telefonnummer, ett namn eller en adress som någon annan har skrivit" in page
