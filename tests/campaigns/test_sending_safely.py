"""Sending a campaign safely (issue 19): "Send now" and "Schedule" are two buttons, a page asks before anything is
queued and names the number of people, the subject and the time; a scheduled campaign says when it goes; a sent one
is neither saved nor deleted. And the preview as anyone: a search over all the recipients, the email as the chosen
one gets it, and by default a real recipient rather than the coordinator. In Swedish, as the coordinator reads it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign, Delivery
from campaigns.services.newsletters import campaign_may_delete, campaign_schedule
from tests.factories import AmbassadorFactory, CampaignFactory, start_sending

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def admin(coordinator_client):
    coordinator_client.cookies["django_language"] = "sv"
    return coordinator_client


def url(target: Campaign, page: str = "change") -> str:
    return f"/admin/campaigns/campaign/{target.pk}/{page}/"


def text(response) -> str:
    return response.content.decode()


# Asking first ---------------------------------------------------------------------------------------------------


def test_send_now_asks_with_the_number_of_people_in_the_singular_and_the_subject(admin):
    AmbassadorFactory()
    target = CampaignFactory(subject="Vårens träff")
    asked = admin.post(url(target, "send"), {"mode": "now", "send_at": ""})
    assert asked.status_code == 200
    assert "Skicka till 1 person nu?" in text(asked)
    assert "Vårens träff" in text(asked) and "Ja, skicka nu" in text(asked)
    assert f'href="{url(target, "send")}"' in text(asked)  # Avbryt: back to the send page
    target.refresh_from_db()
    assert target.status == Campaign.Status.DRAFT and not Delivery.objects.exists()


def test_schedule_asks_with_the_day_and_time_in_swedish_and_says_what_it_did(admin):
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    data = {"mode": "schedule", "send_at": "2030-12-12T09:00"}
    asked = admin.post(url(target, "send"), data)
    assert "Schemalägg till 2 personer den 12 dec 2030 kl. 09.00?" in text(asked)
    target.refresh_from_db()
    assert target.status == Campaign.Status.DRAFT

    done = admin.post(url(target, "send"), {**data, "confirm": "yes"}, follow=True)
    assert "Utskicket är schemalagt: det skickas den 12 dec 2030 kl. 09.00." in text(done)
    assert "Skickas den 12 dec 2030 kl. 09.00." in text(done)  # the campaign's page says when it goes
    assert 'value="unschedule"' in text(done)
    target.refresh_from_db()
    assert target.scheduled_at == datetime(2030, 12, 12, 9, 0, tzinfo=STOCKHOLM)


def test_send_now_says_it_is_sending_now(admin, django_capture_on_commit_callbacks):
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    with django_capture_on_commit_callbacks(execute=False):
        done = admin.post(url(target, "send"), {"mode": "now", "confirm": "yes"}, follow=True)
    assert "Utskicket skickas nu till 2 personer." in text(done)
    assert "schemalagt" not in text(done).split('class="messagelist"')[1].split("</ul>")[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mode": "schedule", "send_at": ""}, "Ange dag och tid för utskicket"),
        ({"mode": "schedule", "send_at": "2020-01-01T08:00"}, "Den tiden har redan varit"),
        ({"mode": "now", "send_at": "2030-01-01T08:00"}, "Du har angett en tid"),
        ({"send_at": ""}, "Välj ”Skicka nu” eller ”Schemalägg”."),
        ({"mode": "later", "send_at": ""}, "Välj ett giltigt alternativ"),
        ({"mode": "schedule", "send_at": "<script>", "confirm": "yes"}, "Fyll i ett giltigt datum/tid."),
    ],
)
def test_an_empty_past_or_garbled_time_never_sends(admin, data, message):
    AmbassadorFactory()
    target = CampaignFactory()
    response = admin.post(url(target, "send"), {**data, "confirm": "yes"})
    assert response.status_code == 200
    assert message in text(response)
    target.refresh_from_db()
    assert target.status == Campaign.Status.DRAFT and target.scheduled_at is None


def test_the_send_page_of_a_campaign_already_on_its_way_sends_nothing_and_says_so(admin):
    AmbassadorFactory()
    target = CampaignFactory()
    campaign_schedule(campaign=target, at=timezone.now() + timedelta(days=1))
    response = admin.post(url(target, "send"), {"mode": "now", "confirm": "yes"}, follow=True)
    assert "Inget skickades en gång till" in text(response)
    target.refresh_from_db()
    assert target.status == Campaign.Status.SCHEDULED


def test_the_send_page_of_a_scheduled_campaign_leads_back_to_its_page(admin):
    AmbassadorFactory()
    target = CampaignFactory()
    campaign_schedule(campaign=target, at=timezone.now() + timedelta(days=1))
    response = admin.get(url(target, "send"), follow=True)
    assert response.redirect_chain == [(url(target), 302)]
    assert "Utskicket har redan status ”Schemalagd”." in text(response)


def test_the_checklist_counts_one_recipient_in_the_singular(admin):
    AmbassadorFactory()
    admin.cookies["django_language"] = "en"
    assert "1 recipient<" in text(admin.get(url(CampaignFactory(), "send")))


def test_the_send_confirm_and_cancel_pages_wear_the_admins_dress(admin):
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()
    pages = [
        admin.get(url(target, "send")),
        admin.post(url(target, "send"), {"mode": "now"}),
    ]
    start_sending(target)
    pages.append(admin.post(url(target, "control"), {"action": "cancel"}))
    for page in pages:
        html = text(page)
        assert 'class="breadcrumbs"' in html and f'href="{url(target)}"' in html
        assert 'class="submit-row"' in html and "admin/css/forms.css" in html


# Sent campaigns are records --------------------------------------------------------------------------------------


def test_a_sent_or_sending_campaign_offers_neither_save_nor_delete(admin):
    AmbassadorFactory.create_batch(2)
    draft = CampaignFactory(name="Utkast")
    assert 'name="_save"' in text(admin.get(url(draft))) and "deletelink" in text(admin.get(url(draft)))

    target = CampaignFactory()
    start_sending(target)
    for status in (Campaign.Status.SENDING, Campaign.Status.SENT):
        Campaign.objects.filter(pk=target.pk).update(status=status)
        html = text(admin.get(url(target)))
        assert 'name="_save"' not in html and "deletelink" not in html
        assert admin.get(url(target, "delete")).status_code == 403
        assert admin.post(url(target, "delete"), {"post": "yes"}).status_code == 403
        assert admin.post(url(target), {"name": "Ändrat"}).status_code == 403
    assert Campaign.objects.filter(pk=target.pk, name="Vårbrevet").exists()


def test_a_scheduled_campaigns_page_still_offers_its_buttons_but_no_save(admin):
    AmbassadorFactory()
    target = CampaignFactory()
    campaign_schedule(campaign=target, at=timezone.now() + timedelta(days=1))
    html = text(admin.get(url(target)))
    assert 'name="_save"' not in html
    assert 'value="unschedule"' in html and 'value="cancel"' in html
    assert html.index('id="campaign-control"') > html.index("</form>")  # its form is not nested, so it works


def test_bulk_delete_deletes_the_drafts_and_keeps_the_sent(admin):
    AmbassadorFactory()
    draft = CampaignFactory(name="Utkast")
    sent = CampaignFactory(name="Skickat")
    start_sending(sent)
    selected = {"action": "delete_selected", "_selected_action": [draft.pk, sent.pk]}

    asked = admin.post("/admin/campaigns/campaign/", selected)
    assert asked.status_code == 200 and "1 utskick har skickats" in text(asked)
    response = admin.post("/admin/campaigns/campaign/", {**selected, "post": "yes"}, follow=True)
    assert response.status_code == 200
    assert list(Campaign.objects.values_list("name", flat=True)) == ["Skickat"]
    assert Delivery.objects.filter(campaign=sent).exists()


@pytest.mark.parametrize(
    ("status", "started", "may"),
    [
        (Campaign.Status.DRAFT, False, True),
        (Campaign.Status.CANCELLED, False, True),
        (Campaign.Status.CANCELLED, True, False),
        (Campaign.Status.SCHEDULED, False, False),  # back to draft first
        (Campaign.Status.PAUSED, True, False),
        (Campaign.Status.SENDING, True, False),
        (Campaign.Status.SENT, True, False),
    ],
)
def test_only_a_draft_or_a_campaign_cancelled_before_it_started_may_be_deleted(status, started, may):
    target = CampaignFactory(status=status, started_at=timezone.now() if started else None)
    assert campaign_may_delete(target) is may


# Preview as anyone ------------------------------------------------------------------------------------------------


def test_the_preview_page_shows_the_first_recipient_not_the_coordinator_and_says_whom(admin, coordinator):
    coordinator.first_name = "Kim"
    coordinator.save()
    AmbassadorFactory(first_name="Bosse", last_name="Berg", email="bosse@example.se")
    AmbassadorFactory(first_name="Anna", last_name="Ahl", email="anna@example.se")
    target = CampaignFactory(subject="Hej {{ first_name }}")
    page = admin.get(url(target, "preview-as"))
    html = text(page)
    assert page.status_code == 200
    assert "Mejlet som Anna Ahl (anna@example.se) får det" in html
    assert "Hej Anna" in html and "Hej Kim" not in html  # the subject as she gets it
    assert f'src="{url(target, "preview")}?ambassador={page.context["chosen"].pk}"' in html
    framed = admin.get(f"{url(target, 'preview')}?ambassador={page.context['chosen'].pk}")
    assert "Hej Anna" in text(framed)
    assert framed["X-Frame-Options"] == "SAMEORIGIN" and "sandbox" in framed["Content-Security-Policy"]


def test_the_search_reaches_every_recipient_by_name_or_address(admin):
    AmbassadorFactory.create_in_bulk(70)
    AmbassadorFactory(first_name="Zäta", last_name="Öberg", email="zeta.sist@example.se")
    target = CampaignFactory()
    everyone = admin.get(url(target, "preview-as"))
    assert everyone.context["matches"].total == 71 and len(everyone.context["matches"].people) == 20
    for query in ("Zäta Öberg", "sist@example"):
        found = admin.get(url(target, "preview-as"), {"q": query})
        assert [person.email for person in found.context["matches"].people] == ["zeta.sist@example.se"]
        assert "Mejlet som Zäta Öberg (zeta.sist@example.se) får det" in text(found)


def test_the_preview_shows_the_chosen_recipient_once_sent_too(admin):
    AmbassadorFactory(first_name="Anna")
    bo = AmbassadorFactory(first_name="Bosse", last_name="Berg")
    target = CampaignFactory()
    start_sending(target)
    html = text(admin.get(url(target, "preview-as"), {"ambassador": bo.pk, "q": "Bosse"}))
    assert "Mejlet som Bosse Berg" in html and "Hej Bosse" in html


@pytest.mark.parametrize("asked", ["abc", "-1", "1e9", "٣", "9" * 40, ""])
def test_a_garbled_recipient_never_fails(admin, asked):
    AmbassadorFactory(first_name="Anna", last_name="Ahl")
    target = CampaignFactory()
    assert admin.get(url(target, "preview-as"), {"ambassador": asked}).status_code == 200
    assert admin.get(url(target, "preview"), {"ambassador": asked}).status_code == 200


def test_someone_outside_the_campaign_is_not_previewed_as_a_recipient(admin):
    AmbassadorFactory(first_name="Anna", last_name="Ahl")
    outside = AmbassadorFactory(first_name="Utan", email=None)
    html = text(admin.get(url(CampaignFactory(), "preview-as"), {"ambassador": outside.pk}))
    assert "Den personen är inte mottagare av det här utskicket." in html
    assert "Mejlet som Anna Ahl" in html


def test_without_the_ambassador_permission_the_preview_page_shows_ones_own_copy_and_no_names(django_user_model):
    AmbassadorFactory(first_name="Anna", last_name="Ahl", email="anna@example.se")
    user = django_user_model.objects.create_user("handlaggare", first_name="Kim", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_campaign"))
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "sv"
    html = text(client.get(url(CampaignFactory(subject="Hej {{ first_name }}"), "preview-as")))
    assert "Mejlet ifyllt med ditt eget namn" in html and "Hej Kim" in html
    assert "Anna" not in html and "anna@example.se" not in html
