"""The recruitment pipeline and one timeline per person (issue 10, parts 5–7): stages move by themselves when an
invited contact applies and is approved, keeping their history; each owner's daily list of follow-ups due; who an
ambassador has recruited; the timeline merges both apps in order and escapes a coordinator's note."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.emails import build_message
from campaigns.models import Delivery, Unsubscribe
from campaigns.services.digest import follow_ups_due_queue
from network import services
from network.models import Ambassador, Application, Note, RecruitmentContact, StageChange
from network.timeline import person_timeline
from tests.factories import (
    AmbassadorFactory,
    DeliveryFactory,
    NoteFactory,
    RecruitmentContactFactory,
    UnsubscribeFactory,
)

pytestmark = pytest.mark.django_db

Stage = RecruitmentContact.Status
STOCKHOLM = ZoneInfo("Europe/Stockholm")
TODAY = dt.date(2026, 3, 10)


def at(day: int, hour: int):
    return time_machine.travel(dt.datetime(2026, 3, day, hour, tzinfo=STOCKHOLM), tick=False)


# Stages move by themselves ------------------------------------------------------------------------------------


def test_an_invited_contact_applies_through_the_link_and_is_approved_and_the_stages_follow(client, coordinator):
    recommender = AmbassadorFactory(email="tipsare@example.se")
    contact = RecruitmentContactFactory(
        name="Vera Ny",
        email="vera@example.se",
        recommended_by=recommender,
        source=RecruitmentContact.Source.RECOMMENDATION,
    )

    invited, skipped = services.contacts_invite(contacts=RecruitmentContact.objects.all(), by=coordinator)
    assert (invited, skipped) == (1, 0)
    invitation = Delivery.objects.get(template="recruitment_invitation")
    assert invitation.to_email == "vera@example.se"
    link = invitation.context["signup_url"]
    assert "vera@example.se" not in link  # the token carries the id, not the details
    message = build_message(invitation)
    assert link in message.body and "Kramfors" in message.subject

    # The link opens the signup form filled in.
    parts = urlsplit(link)
    page = client.get(f"{parts.path}?{parts.query}")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="Vera"' in html and 'value="vera@example.se"' in html and 'name="invitation"' in html
    token = re.search(r'name="invitation" value="([^"]+)"', html).group(1)

    application = services.application_submit(
        first_name="Vera", last_name="Ny", email_address="vera@example.se", invitation=token
    )
    contact.refresh_from_db()
    assert contact.status == Stage.APPLIED and contact.application == application

    Application.objects.filter(pk=application.pk).update(status=Application.Status.CONFIRMED)
    ambassador = services.application_approve(application=application, decided_by=coordinator)
    contact.refresh_from_db()
    assert contact.status == Stage.JOINED and contact.ambassador == ambassador
    ambassador.refresh_from_db()
    assert ambassador.recommended_by == recommender  # the recommendation is credited

    history = list(contact.stage_changes.order_by("created_at", "pk").values_list("from_status", "to_status", "reason"))
    assert history == [
        (Stage.NEW, Stage.CONTACTED, StageChange.Reason.INVITED),
        (Stage.CONTACTED, Stage.APPLIED, StageChange.Reason.APPLIED),
        (Stage.APPLIED, Stage.JOINED, StageChange.Reason.APPROVED),
    ]


def test_an_application_with_the_contacts_address_moves_it_without_a_link():
    contact = RecruitmentContactFactory(name="Per Ek", email="per@example.se", status=Stage.INTERESTED)
    declined = RecruitmentContactFactory(name="Per Ek", email="per@example.se", status=Stage.NOT_INTERESTED)

    services.application_submit(first_name="Per", last_name="Ek", email_address="PER@example.se")

    contact.refresh_from_db()
    declined.refresh_from_db()
    assert contact.status == Stage.APPLIED
    assert declined.status == Stage.NOT_INTERESTED  # a closed contact stays closed


def test_a_forged_invitation_prefills_nothing_and_moves_nothing(client):
    contact = RecruitmentContactFactory(name="Ola Ås", email="ola@example.se")
    page = client.get(reverse("signup") + "?inbjudan=forged")
    assert "ola@example.se" not in page.content.decode()
    services.application_submit(first_name="X", last_name="Y", email_address="x@example.se", invitation="forged")
    contact.refresh_from_db()
    assert contact.status == Stage.NEW


def test_the_admin_records_who_changed_a_stage_and_the_list_counts_by_stage(coordinator_client, coordinator):
    contact = RecruitmentContactFactory(name="Lo Berg", contact_details="070-111 22 33")
    RecruitmentContactFactory(name="Mo Berg", contact_details="070-111 22 34", status=Stage.INTERESTED)
    url = reverse("admin:network_recruitmentcontact_change", args=[contact.pk])
    response = coordinator_client.post(
        url,
        {"name": "Lo Berg", "contact_details": "070-111 22 33", "status": Stage.CONTACTED, "source": "manual"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    change = StageChange.objects.get(contact=contact)
    assert (change.from_status, change.to_status, change.changed_by) == (Stage.NEW, Stage.CONTACTED, coordinator)

    listing = coordinator_client.get(reverse("admin:network_recruitmentcontact_changelist")).content.decode()
    assert "(1)" in listing  # counts by stage in the filter
    due = coordinator_client.get(reverse("admin:network_recruitmentcontact_changelist") + "?due=yes")
    assert due.status_code == 200


# Each owner's follow-ups --------------------------------------------------------------------------------------


def test_each_owner_gets_exactly_their_due_and_overdue_follow_ups_and_nobody_gets_an_empty_email(
    django_user_model, settings
):
    kim = django_user_model.objects.create_user("kim", email="kim@kramfors.se", is_staff=True)
    lo = django_user_model.objects.create_user("lo", email="lo@kramfors.se", is_staff=True)
    nobody_due = django_user_model.objects.create_user("mo", email="mo@kramfors.se", is_staff=True)

    def contact(name, owner, follow_up_on, status=Stage.NEW):
        return RecruitmentContactFactory(name=name, owner=owner, follow_up_on=follow_up_on, status=status)

    contact("Idag Ek", kim, TODAY)
    contact("Sen Berg", kim, TODAY - dt.timedelta(days=3), Stage.INTERESTED)
    contact("Senare Ö", kim, TODAY + dt.timedelta(days=1))
    contact("Klar Ås", kim, TODAY - dt.timedelta(days=1), Stage.JOINED)
    contact("Los kontakt", lo, TODAY - dt.timedelta(days=1))
    contact("Mos kontakt", nobody_due, TODAY + dt.timedelta(days=5))
    contact("Ingens", None, TODAY)

    with at(10, 7):
        deliveries = follow_ups_due_queue()
        again = follow_ups_due_queue()

    assert again == []  # once a day
    by_owner = {d.to_email: d for d in deliveries}
    assert set(by_owner) == {"kim@kramfors.se", "lo@kramfors.se"}  # not mo: nothing due
    assert [(c["name"], c["overdue"]) for c in by_owner["kim@kramfors.se"].context["follow_ups"]] == [
        ("Sen Berg", True),
        ("Idag Ek", False),
    ]
    assert [c["name"] for c in by_owner["lo@kramfors.se"].context["follow_ups"]] == ["Los kontakt"]
    message = build_message(by_owner["kim@kramfors.se"])
    assert "Sen Berg" in message.body and "Senare" not in message.body and "Klar" not in message.body


def test_no_follow_up_email_when_nothing_is_due(django_user_model):
    kim = django_user_model.objects.create_user("kim", email="kim@kramfors.se", is_staff=True)
    RecruitmentContactFactory(name="Senare", owner=kim, follow_up_on=TODAY)
    with at(9, 7):
        assert follow_ups_due_queue() == []
    assert not Delivery.objects.filter(template="follow_ups_due").exists()


# Recommendation credit ----------------------------------------------------------------------------------------------


def test_the_ambassador_list_sorts_by_recruited_and_the_page_lists_them(coordinator_client):
    star = AmbassadorFactory(first_name="Stjärna")
    other = AmbassadorFactory(first_name="Annan")
    AmbassadorFactory.create_batch(2, recommended_by=star)
    AmbassadorFactory(recommended_by=other, first_name="Rekryt")
    RecruitmentContactFactory(name="Kandidat Ny", recommended_by=other)

    url = reverse("admin:network_ambassador_changelist")
    index = ["full_name", "email_display", "phone_display", "locality", "status", "member_since", "source"]
    column = index.__len__() + 1  # "recruited" comes after them (1-based in ?o=)
    listing = coordinator_client.get(f"{url}?o=-{column}").content.decode()
    assert listing.index("Stjärna") < listing.index("Annan")

    page = coordinator_client.get(reverse("admin:network_ambassador_change", args=[other.pk])).content.decode()
    assert "Rekryt" in page and "Kandidat Ny" in page


# The timeline -------------------------------------------------------------------------------------------------


def test_the_timeline_merges_both_apps_newest_first_with_who_did_it(coordinator):
    with at(1, 9):
        person = AmbassadorFactory(email="tid@example.se", source=Ambassador.Source.IMPORT)
    with at(2, 9):
        DeliveryFactory(template="campaign", ambassador=person, status=Delivery.Status.SENT, sent_at=timezone.now())
    with at(3, 9):
        NoteFactory(ambassador=person, author=coordinator, text="Ringde om träffen")
    with at(4, 9):
        Delivery.objects.filter(ambassador=person).update(bounced_at=timezone.now())
    with at(5, 9):
        UnsubscribeFactory(ambassador=person, category="newsletter", source=Unsubscribe.Source.LINK)

    entries = person_timeline(person)

    assert [entry.kind for entry in entries] == ["email", "email", "note", "email", "imported"]
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)
    assert entries[0].at == dt.datetime(2026, 3, 5, 9, tzinfo=STOCKHOLM)  # the unsubscribe
    assert entries[2].by == "koordinator" and entries[2].text == "Ringde om träffen"


def test_the_timeline_costs_the_same_number_of_queries_however_long_and_is_cut_to_its_limit(coordinator):
    person = AmbassadorFactory(email="lang@example.se")
    with CaptureQueriesContext(connection) as short:
        person_timeline(person, limit=20)
    Note.objects.bulk_create([Note(ambassador=person, author=coordinator, text=f"n{i}") for i in range(60)])
    with CaptureQueriesContext(connection) as long:
        entries = person_timeline(person, limit=20)
    assert len(entries) == 20
    assert len(long.captured_queries) == len(short.captured_queries)


def test_a_coordinator_note_added_from_the_page_is_escaped_on_the_timeline(coordinator_client, coordinator):
    person = AmbassadorFactory()
    note_url = reverse("admin:network_ambassador_note", args=[person.pk])
    response = coordinator_client.post(note_url, {"text": "<script>alert(1)</script> kom inte"})
    assert response.status_code == 302
    assert Note.objects.get().author == coordinator

    page = coordinator_client.get(reverse("admin:network_ambassador_change", args=[person.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; kom inte" in page
    assert note_url in page  # the form to add another


def test_adding_a_note_needs_the_permission(client, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("tittare", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_ambassador"))
    client.force_login(viewer)
    person = AmbassadorFactory()
    response = client.post(reverse("admin:network_ambassador_note", args=[person.pk]), {"text": "hej"})
    assert response.status_code == 403
    assert not Note.objects.exists()


def test_the_contact_page_shows_its_timeline(coordinator_client, coordinator):
    contact = RecruitmentContactFactory(name="Tid Kontakt", email="tk@example.se")
    services.contacts_invite(contacts=RecruitmentContact.objects.all(), by=coordinator)
    NoteFactory(contact=contact, author=coordinator, text="<b>fet</b>")
    page = coordinator_client.get(reverse("admin:network_recruitmentcontact_change", args=[contact.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;b&gt;fet&lt;/b&gt;" in html and "<b>fet</b>" not in html


def test_the_demo_data_has_contacts_in_several_stages_with_their_history(coordinator):
    from network.demo_recruitment import demo_recruitment_seed

    AmbassadorFactory()
    demo_recruitment_seed(owner=coordinator)
    demo_recruitment_seed(owner=coordinator)  # again: nothing more

    stages = set(RecruitmentContact.objects.values_list("status", flat=True))
    assert len(stages) == len(Stage.choices)
    assert RecruitmentContact.objects.count() == 8
    assert StageChange.objects.filter(contact__status=Stage.JOINED).count() == 5
