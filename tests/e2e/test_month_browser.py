"""The coordinator's month as one test, in Chromium at 1280 px, through the pages (issue 19): import the member list
→ create a training → invite from the event → three answer (yes, no, none) from their emails → remind the one who
did not → the day comes: attendance → the trained count agrees on every screen → a newsletter, confirmed before it
goes → the monthly report. What beat and the worker do between the clicks (start a campaign whose time has come,
send what is queued) is called in the test's process, with Django's test mailbox as the mail server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, Delivery
from campaigns.services.newsletters import campaigns_start_due
from campaigns.services.outbox import deliveries_send
from network.models import Ambassador, Event, Registration
from tests.e2e.browser import skip_without_chromium
from tests.factories import HeartbeatFactory

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True)]

MEMBER_LIST = (
    "Förnamn;Efternamn;E-post;Mobil;Ort\n"
    "Anna;Åström;anna@example.se;070-111 11 11;Nyland\n"
    "Bo;Berg;bo@example.se;070-222 22 22;Bollstabruk\n"
    "Cissi;Ek;cissi@example.se;070-333 33 33;Kramfors\n"
)


def the_beat_and_the_worker() -> None:
    """What runs between the coordinator's clicks: due campaigns start, queued mail goes out."""
    campaigns_start_due()
    deliveries_send(list(Delivery.objects.filter(status=Delivery.Status.QUEUED).values_list("pk", flat=True)))


def last_email_to(address: str):
    return [message for message in mail.outbox if any(address in to for to in message.to)][-1]


def answer_link(address: str, live_server) -> str:
    """The answer button in the last email to `address`, as the person would click it."""
    message = last_email_to(address)
    html = message.alternatives[0][0]
    url = re.search(r'href="(https?://[^"]*/svar/[^"]+)"', html).group(1)
    return re.sub(r"^https?://[^/]+", live_server.url, url)


def test_the_coordinators_month(coordinator_page, live_server, page, tmp_path):
    HeartbeatFactory(name="worker"), HeartbeatFactory(name="beat")  # they run: no "email is not sent" banner
    admin = coordinator_page
    base = f"{live_server.url}/admin"

    # 1. The member list, from Excel's CSV.
    member_list = tmp_path / "medlemmar.csv"
    member_list.write_text(MEMBER_LIST, encoding="utf-8")
    admin.goto(f"{base}/network/ambassador/")
    admin.get_by_role("link", name="Import", exact=True).click()
    admin.locator("input[type=file]").set_input_files(member_list)
    admin.get_by_role("button", name="Förhandsgranska").click()
    admin.locator("button[name=action][value=all]").click()
    expect(admin.get_by_text("Importen är klar: 3 nya").first).to_be_visible()
    assert Ambassador.objects.count() == 3

    # 2. A training, in two weeks.
    day = timezone.localtime() + timedelta(days=14)
    admin.goto(f"{base}/network/event/add/")
    admin.locator("#id_title").fill("Dialog och värdskap")
    admin.locator("#id_kind").select_option(label="Utbildning")
    admin.locator("#id_starts_at_0").fill(day.strftime("%Y-%m-%d"))
    admin.locator("#id_starts_at_1").fill("18:00")
    admin.locator("#id_ends_at_0").fill(day.strftime("%Y-%m-%d"))
    admin.locator("#id_ends_at_1").fill("20:00")
    admin.locator("#id_place").fill("Kramfors bibliotek")
    admin.locator("input[name=_continue]").click()
    expect(admin.locator(".messagelist")).to_contain_text("Lade till")
    event = Event.objects.get()
    assert event.is_training  # a training counts as one without a box to tick

    # 3. Invite from the event: two clicks to a draft, then send it, confirmed.
    admin.get_by_role("link", name="Bjud in", exact=True).click()
    admin.get_by_role("button", name="Gör inbjudan").click()
    expect(admin.locator(".messagelist")).to_be_visible()
    campaign = Campaign.objects.get(event=event)
    admin.get_by_role("link", name=re.compile("Skicka eller schemalägg")).click()
    admin.get_by_role("button", name="Skicka nu…").click()
    expect(admin.locator("#content h1")).to_have_text("Skicka till 3 personer nu?")
    assert not Delivery.objects.exists()  # nothing before the yes
    admin.get_by_role("button", name="Ja, skicka nu").click()
    expect(admin.get_by_text("Utskicket skickas nu till 3 personer.").first).to_be_visible()
    the_beat_and_the_worker()
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT
    invitation = last_email_to("anna@example.se")
    assert "Kramfors bibliotek" in invitation.body and day.strftime("%Y") in invitation.body  # by itself

    # 4. Anna says yes, Bo says no, Cissi says nothing.
    for address, button in (("anna@example.se", "yes"), ("bo@example.se", "no")):
        page.goto(answer_link(address, live_server))
        with page.expect_navigation():
            page.click(f"main button[value={button}]")
    answers = dict(Registration.objects.values_list("ambassador__first_name", "answer"))
    assert answers == {"Anna": "yes", "Bo": "no"}

    # 5. Who has not answered, and a reminder to exactly her.
    admin.goto(f"{base}/network/event/{event.pk}/change/")
    expect(admin.locator("body")).to_contain_text("Cissi Ek")
    admin.get_by_role("link", name="Påminn dem som inte svarat").first.click()
    admin.get_by_role("button", name="Skicka påminnelsen").click()
    expect(admin.locator(".messagelist")).to_be_visible()
    the_beat_and_the_worker()
    reminded = Delivery.objects.filter(template="event_invitation_reminder")
    assert list(reminded.values_list("to_email", flat=True)) == ["cissi@example.se"]

    # 6. The day comes (the test moves the event to now): the yes is ticked, she saves.
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=1)
    )
    admin.goto(f"{base}/network/event/{event.pk}/attendance/")
    admin.get_by_role("button", name="Spara närvaro").click()
    expect(admin.locator(".messagelist")).to_contain_text("1 person")
    assert list(Registration.objects.filter(attended=True).values_list("ambassador__first_name", flat=True)) == ["Anna"]

    # 7. One answer to "trained" on every screen.
    admin.goto(f"{base}/")
    expect(admin.locator("body")).to_contain_text("1 av 3 aktiva ambassadörer har gått en utbildning")
    admin.goto(f"{base}/network/ambassador/?training={event.pk}")
    expect(admin.locator("#result_list tbody tr")).to_have_count(1)
    expect(admin.locator("#result_list")).to_contain_text("Åström")
    anna = Ambassador.objects.get(first_name="Anna")
    admin.goto(f"{base}/network/ambassador/{anna.pk}/change/")
    expect(admin.locator("body")).to_contain_text("Deltog i Dialog och värdskap")
    page.goto(f"{live_server.url}/mina-sidor/")
    page.locator("#id_email").fill("anna@example.se")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    sign_in = Delivery.objects.filter(template="mypages_link").latest("pk").context["sign_in_url"]
    page.goto(re.sub(r"^https?://[^/]+", live_server.url, sign_in))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Dialog och värdskap")

    # 8. A newsletter, confirmed before it goes.
    admin.goto(f"{base}/campaigns/campaign/add/")
    admin.locator("#id_name").fill("Decemberbrevet")
    admin.locator("#id_subject").fill("Nytt från nätverket")
    admin.locator("#id_body").fill("Hej {{ first_name }}!\n\nTack för i år.")
    admin.locator("#id_segment").select_option(label="Alla aktiva ambassadörer")  # the invitation's audience
    admin.locator("input[name=_continue]").click()
    expect(admin.locator(".messagelist")).to_contain_text("Lade till")
    admin.get_by_role("link", name=re.compile("Skicka eller schemalägg")).click()
    admin.get_by_role("button", name="Skicka nu…").click()
    expect(admin.locator("#content h1")).to_have_text("Skicka till 3 personer nu?")
    admin.get_by_role("button", name="Ja, skicka nu").click()
    expect(admin.get_by_text("Utskicket skickas nu till 3 personer.").first).to_be_visible()
    the_beat_and_the_worker()
    newsletter = Campaign.objects.get(name="Decemberbrevet")
    assert newsletter.status == Campaign.Status.SENT
    assert Delivery.objects.filter(campaign=newsletter, status=Delivery.Status.SENT).count() == 3

    # 9. The monthly report, as a page.
    admin.goto(f"{base}/")
    admin.get_by_role("link", name=re.compile("[Mm]ånadsrapport")).first.click()
    expect(admin.locator("#content h1")).to_contain_text("Månadsrapport")
    expect(admin.get_by_role("button", name="Skriv ut rapporten")).to_be_visible()
