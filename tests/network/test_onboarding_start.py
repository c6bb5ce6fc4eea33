"""Imported members through the introduction series (issue 9): one at a time from the enrollment form (also
reached from an ambassador's page), or many at once with an action on the ambassador list. Idempotent, and
the welcome goes at once, as when an application is approved."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages

from campaigns.models import Delivery, Enrollment, Sequence
from network.models import Ambassador
from tests.factories import AmbassadorFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/campaigns/enrollment/add/"
AMBASSADORS = "/admin/network/ambassador/"


@pytest.fixture
def admin(seed_data, coordinator_client):
    coordinator_client.cookies["django_language"] = "sv"
    return coordinator_client


def welcomed(ambassador: Ambassador) -> bool:
    return Delivery.objects.filter(ambassador=ambassador, step__delay_days=0, status="queued").exists()


# One at a time ------------------------------------------------------------------------------------------------


def test_the_enrollment_add_form_enrolls_an_imported_member_now_and_sends_the_welcome(admin):
    anna = AmbassadorFactory(first_name="Anna", source=Ambassador.Source.IMPORT)
    onboarding = Sequence.objects.get(slug=Sequence.ONBOARDING)

    form = admin.get(ADD)
    assert form.status_code == 200
    assert form.context["adminform"].form.initial["sequence"] == onboarding.pk

    response = admin.post(ADD, {"ambassador": anna.pk, "sequence": onboarding.pk})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    enrollment = Enrollment.objects.get(ambassador=anna)
    assert enrollment.enrolled_at is not None and enrollment.next_step.delay_days == 7
    assert welcomed(anna)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": Ambassador.Status.PAUSED}, "Bara aktiva ambassadörer får serien"),
        ({"email": None, "phone": "+46701112233"}, "Ambassadören har ingen e-postadress"),
    ],
)
def test_the_form_refuses_whom_the_series_cannot_reach_with_a_swedish_message(admin, fields, message):
    person = AmbassadorFactory(**fields)
    onboarding = Sequence.objects.get(slug=Sequence.ONBOARDING)
    response = admin.post(ADD, {"ambassador": person.pk, "sequence": onboarding.pk})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Enrollment.objects.exists()


def test_enrolling_someone_twice_is_refused_and_changes_nothing(admin):
    anna = AmbassadorFactory()
    onboarding = Sequence.objects.get(slug=Sequence.ONBOARDING)
    admin.post(ADD, {"ambassador": anna.pk, "sequence": onboarding.pk})
    response = admin.post(ADD, {"ambassador": anna.pk, "sequence": onboarding.pk})
    assert response.status_code == 200
    assert "Ambassadören är redan med i serien." in response.content.decode()
    assert Enrollment.objects.count() == 1
    assert Delivery.objects.filter(ambassador=anna).count() == 1


def test_an_ambassadors_page_links_to_the_form_with_them_chosen(admin):
    anna = AmbassadorFactory(first_name="Anna")
    html = admin.get(f"{AMBASSADORS}{anna.pk}/change/").content.decode()
    assert f'href="{ADD}?ambassador={anna.pk}"' in html
    form = admin.get(ADD, {"ambassador": anna.pk})
    assert str(form.context["adminform"].form.initial["ambassador"]) == str(anna.pk)


def test_an_enrollment_can_still_be_changed_but_not_moved_to_someone_else(admin):
    anna = AmbassadorFactory()
    onboarding = Sequence.objects.get(slug=Sequence.ONBOARDING)
    admin.post(ADD, {"ambassador": anna.pk, "sequence": onboarding.pk})
    enrollment = Enrollment.objects.get()
    page = admin.get(f"/admin/campaigns/enrollment/{enrollment.pk}/change/")
    assert page.status_code == 200
    assert set(page.context["adminform"].form.fields) == {"next_step", "next_send_at"}


# Many at once -------------------------------------------------------------------------------------------------


def start_series(client, people):
    return client.post(
        AMBASSADORS, {"action": "start_onboarding", ACTION_CHECKBOX_NAME: [p.pk for p in people], "index": "0"}
    )


def test_the_list_action_starts_the_series_for_each_active_member_with_an_address_and_says_how_many(admin):
    imported = AmbassadorFactory.create_batch(3, source=Ambassador.Source.IMPORT)
    paused = AmbassadorFactory(status=Ambassador.Status.PAUSED)
    no_address = AmbassadorFactory(email=None, phone="+46701234567")

    response = start_series(admin, [*imported, paused, no_address])
    assert response.status_code == 302
    assert set(Enrollment.objects.values_list("ambassador_id", flat=True)) == {p.pk for p in imported}
    assert all(welcomed(person) for person in imported)
    message = str(next(iter(get_messages(response.wsgi_request))))
    assert message == (
        "Introduktionsserien startade för 3 ambassadörer. Utelämnade: 1 som inte är aktiv, 1 utan e-postadress."
    )


def test_starting_the_series_again_enrolls_nobody_twice(admin):
    people = AmbassadorFactory.create_batch(2)
    start_series(admin, people[:1])
    response = start_series(admin, people)
    assert Enrollment.objects.count() == 2
    assert Delivery.objects.filter(step__delay_days=0).count() == 2  # one welcome each
    message = str(list(get_messages(response.wsgi_request))[-1])
    assert message == "Introduktionsserien startade för 1 ambassadör. Redan med: 1."


def test_the_action_is_offered_only_to_staff_who_may_add_enrollments(seed_data, client, django_user_model):
    clerk = django_user_model.objects.create_user("handlaggare", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["view_ambassador", "change_ambassador"]))
    client.force_login(clerk)
    anna = AmbassadorFactory()
    assert "start_onboarding" not in admin_actions(client)
    start_series(client, [anna])
    assert not Enrollment.objects.exists()

    clerk.user_permissions.add(Permission.objects.get(codename="add_enrollment"))
    assert "start_onboarding" in admin_actions(client)


def admin_actions(client) -> set[str]:
    return {name for name, _label in client.get(AMBASSADORS).context["action_form"].fields["action"].choices}
