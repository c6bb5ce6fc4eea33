"""The audit log: who viewed, exported, changed or erased a person's data, and when; ids only, never names or
addresses; read-only in the admin, for those given `crm.view_auditentry` (not the coordinator)."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from crm.models import AuditEntry
from network.models import Ambassador
from tests.factories import AmbassadorFactory

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action
FIELDS = ["first_name", "last_name", "email", "phone", "locality", "interests", "member_since", "status", "notes"]


@pytest.fixture
def anna():
    return AmbassadorFactory(first_name="Anna", last_name="Ödmark", email="anna@example.se")


@pytest.fixture
def olle():
    return AmbassadorFactory(first_name="Olle", last_name="Berg", email="olle@example.se", status="paused")


def entries() -> list[tuple]:
    return list(AuditEntry.objects.order_by("pk").values_list("action", "actor_id", "ambassador_id"))


def change_url(ambassador) -> str:
    return reverse("admin:network_ambassador_change", args=[ambassador.pk])


def form_data(response) -> dict:
    """What the change form posts back as shown."""
    form = response.context["adminform"].form
    data = {"_save": "1"}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [getattr(item, "pk", item) for item in value]
        else:
            data[name] = getattr(value, "pk", value)
    return data


def test_viewing_a_person_in_the_admin_is_logged_with_ids(coordinator, coordinator_client, anna):
    assert coordinator_client.get(change_url(anna)).status_code == 200
    assert entries() == [(Action.VIEW, coordinator.pk, anna.pk)]
    entry = AuditEntry.objects.get()
    assert entry.at is not None
    # Ids only: nothing in the row names the person.
    assert {field.attname for field in AuditEntry._meta.concrete_fields} == {
        "id",
        "at",
        "actor_id",
        "ambassador_id",
        "action",
    }


def test_a_page_not_shown_is_not_logged(coordinator_client, django_user_model, anna):
    coordinator_client.get(reverse("admin:network_ambassador_change", args=[anna.pk + 1000]))  # nobody
    stranger = Client()
    stranger.force_login(django_user_model.objects.create_user("stranger", is_staff=True))
    assert stranger.get(change_url(anna)).status_code == 403
    assert Client().get(change_url(anna)).status_code == 302  # to the login page
    assert entries() == []


def test_changing_a_person_is_logged_and_saving_unchanged_is_only_a_view(coordinator, coordinator_client, anna):
    data = form_data(coordinator_client.get(change_url(anna)))
    assert coordinator_client.post(change_url(anna), data).status_code == 302  # saved unchanged
    data["notes"] = "Ringer helst kvällar"
    assert coordinator_client.post(change_url(anna), data).status_code == 302
    anna.refresh_from_db()
    assert anna.notes == "Ringer helst kvällar"
    assert entries() == [(Action.VIEW, coordinator.pk, anna.pk), (Action.CHANGE, coordinator.pk, anna.pk)]


def test_a_status_action_logs_a_change_for_each_person_it_changed(coordinator, coordinator_client, anna, olle):
    coordinator_client.post(
        reverse("admin:network_ambassador_changelist"),
        {"action": "make_paused", ACTION_CHECKBOX_NAME: [anna.pk, olle.pk]},  # Olle was paused already
    )
    assert entries() == [(Action.CHANGE, coordinator.pk, anna.pk)]


def test_an_export_logs_each_exported_person(coordinator, coordinator_client, anna, olle):
    data = {"resource": "0", "format": "0", **{f"ambassadorresource_{name}": "on" for name in FIELDS}}
    response = coordinator_client.post(reverse("admin:network_ambassador_export") + "?status__exact=paused", data)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert entries() == [(Action.EXPORT, coordinator.pk, olle.pk)]


def test_deleting_a_person_in_the_admin_erases_them_and_is_logged_as_an_erasure(
    coordinator, coordinator_client, anna, olle
):
    coordinator_client.post(reverse("admin:network_ambassador_delete", args=[anna.pk]), {"post": "yes"})
    coordinator_client.post(
        reverse("admin:network_ambassador_changelist"),
        {"action": "erase_people", ACTION_CHECKBOX_NAME: [olle.pk], "post": "yes"},
    )
    assert not Ambassador.objects.exists()
    assert entries() == [(Action.ERASE, coordinator.pk, anna.pk), (Action.ERASE, coordinator.pk, olle.pk)]


def test_an_erasure_is_logged_only_when_one_happened(coordinator, coordinator_client, anna):
    """Asking (the confirmation page) erases nothing and logs nothing; Django's own bulk delete is not offered."""
    coordinator_client.get(reverse("admin:network_ambassador_delete", args=[anna.pk]))
    coordinator_client.post(reverse("admin:network_ambassador_delete", args=[anna.pk]))  # no "post": only asks
    coordinator_client.post(
        reverse("admin:network_ambassador_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [anna.pk], "post": "yes"},
    )
    assert Ambassador.objects.filter(pk=anna.pk).exists()
    assert Action.ERASE not in [action for action, _actor, _pk in entries()]


def test_erasing_a_person_everywhere_is_logged(anna):
    from crm.privacy import person_erase

    pk = anna.pk
    person_erase(anna)
    assert entries() == [(Action.ERASE, None, pk)]


# The log in the admin --------------------------------------------------------------------------------------------


def test_only_those_given_the_permission_see_the_log_and_nobody_can_change_it(
    coordinator, coordinator_client, django_user_model, anna
):
    coordinator_client.get(change_url(anna))
    entry = AuditEntry.objects.get()
    changelist = reverse("admin:crm_auditentry_changelist")

    # The coordinator (every permission on ambassadors and email) does not see who looked at what.
    assert coordinator_client.get(changelist).status_code == 403

    administrator = django_user_model.objects.create_user("it-admin", is_staff=True)
    administrator.user_permissions.set(Permission.objects.filter(codename="view_auditentry"))
    client = Client()
    client.force_login(administrator)
    page = client.get(changelist)
    assert page.status_code == 200
    html = page.content.decode()
    assert "koordinator" in html and f">{anna.pk}<" in html
    assert "Anna" not in html and "anna@example.se" not in html, "ids only"
    assert client.get(changelist, {"q": str(anna.pk)}).context["cl"].result_count == 1
    assert client.get(changelist, {"q": "Anna"}).context["cl"].result_count == 0

    superuser = Client()
    superuser.force_login(django_user_model.objects.create_superuser("root", "root@kramfors.se"))
    assert superuser.get(changelist).status_code == 200
    assert superuser.get(reverse("admin:crm_auditentry_add")).status_code == 403
    assert superuser.post(reverse("admin:crm_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    superuser.post(reverse("admin:crm_auditentry_change", args=[entry.pk]), {"action": "export"})
    assert AuditEntry.objects.get().action == Action.VIEW
