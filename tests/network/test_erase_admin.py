"""The admin's "Radera personen" action: only with network.erase_ambassador, after a confirmation page, and then
through crm.privacy.person_erase."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from campaigns.models import Suppression
from crm.models import AuditEntry
from crm.pseudonyms import pseudonym
from network.models import Ambassador, Application
from tests.factories import AmbassadorFactory, ApplicationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/network/ambassador/"


@pytest.fixture
def anna():
    person = AmbassadorFactory(first_name="Anna", last_name="Ödmark", email="anna@example.se")
    ApplicationFactory(first_name="Anna", last_name="Ödmark", email=person.email, ambassador=person)
    return person


def staff(django_user_model, *codenames: str) -> Client:
    user = django_user_model.objects.create_user("handlaggare", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def action(client: Client, person: Ambassador, **extra):
    return client.post(CHANGELIST, {"action": "erase_people", "_selected_action": [str(person.pk)], **extra})


def test_the_action_asks_first_then_erases(django_user_model, anna):
    client = staff(django_user_model, "view_ambassador", "erase_ambassador")
    assert "erase_people" in client.get(CHANGELIST).content.decode()

    page = action(client, anna)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Radera de här personerna?" in text and "Anna Ödmark" in text and 'name="post" value="yes"' in text
    assert Ambassador.objects.filter(pk=anna.pk).exists()  # nothing yet

    done = action(client, anna, post="yes")

    assert done.status_code == 302
    assert not Ambassador.objects.exists() and not Application.objects.exists()
    assert Suppression.objects.filter(email=pseudonym("anna@example.se")).exists()
    assert "1 person har raderats." in client.get(CHANGELIST).content.decode()
    assert list(AuditEntry.objects.filter(action="erase").values_list("ambassador_id", flat=True)) == [anna.pk]


@pytest.mark.parametrize(
    "codenames", [(), ("view_ambassador",), ("view_ambassador", "change_ambassador", "delete_ambassador")]
)
def test_without_the_erase_permission_nothing_is_offered_or_erased(django_user_model, anna, codenames):
    client = staff(django_user_model, *codenames)
    listing = client.get(CHANGELIST)
    assert "erase_people" not in listing.content.decode()
    action(client, anna, post="yes")
    assert Ambassador.objects.filter(pk=anna.pk).exists()


def test_the_permission_exists():
    permission = Permission.objects.get(codename="erase_ambassador")
    assert permission.content_type.app_label == "network"
