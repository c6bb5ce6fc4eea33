"""Audiences without SQL: who a segment reaches now, and who is left out and why (each person counted once)."""

from __future__ import annotations

from datetime import date

import pytest

from campaigns.models import Campaign, Delivery, Suppression
from campaigns.selectors import audience
from network.models import Ambassador
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    DeliveryFactory,
    InterestFactory,
    LocalityFactory,
    SegmentFactory,
    SuppressionFactory,
)

pytestmark = pytest.mark.django_db


def reached(target, kind=Campaign.Kind.NEWSLETTER) -> set[str]:
    return set(audience(target, kind).recipients.values_list("email", flat=True))


def test_an_empty_status_choice_reaches_active_ambassadors_only():
    AmbassadorFactory(email="aktiv@example.se")
    AmbassadorFactory(email="pausad@example.se", status=Ambassador.Status.PAUSED)
    AmbassadorFactory(email="alumn@example.se", status=Ambassador.Status.ALUMNI)

    assert reached(SegmentFactory()) == {"aktiv@example.se"}


def test_chosen_statuses_reach_exactly_those_statuses():
    AmbassadorFactory(email="aktiv@example.se")
    AmbassadorFactory(email="pausad@example.se", status=Ambassador.Status.PAUSED)
    AmbassadorFactory(email="alumn@example.se", status=Ambassador.Status.ALUMNI)

    assert reached(SegmentFactory(statuses=["paused", "alumni"])) == {"pausad@example.se", "alumn@example.se"}


def test_localities_reach_people_living_in_any_of_them():
    bollsta, nyland, docksta = (
        LocalityFactory(name="Bollstabruk"),
        LocalityFactory(name="Nyland"),
        LocalityFactory(name="Docksta"),
    )
    AmbassadorFactory(email="bollsta@example.se", locality=bollsta)
    AmbassadorFactory(email="nyland@example.se", locality=nyland)
    AmbassadorFactory(email="docksta@example.se", locality=docksta)
    AmbassadorFactory(email="ingenstans@example.se", locality=None)

    assert reached(SegmentFactory(localities=[bollsta, nyland])) == {"bollsta@example.se", "nyland@example.se"}


def test_interests_reach_people_with_any_of_them_once_each():
    friluftsliv, kultur, mat = (
        InterestFactory(name="Friluftsliv"),
        InterestFactory(name="Kultur"),
        InterestFactory(name="Mat"),
    )
    both = AmbassadorFactory(email="bada@example.se")
    both.interests.set([friluftsliv, kultur])
    AmbassadorFactory(email="kultur@example.se").interests.set([kultur])
    AmbassadorFactory(email="mat@example.se").interests.set([mat])
    AmbassadorFactory(email="inget@example.se")

    found = audience(SegmentFactory(interests=[friluftsliv, kultur])).recipients
    assert sorted(found.values_list("email", flat=True)) == ["bada@example.se", "kultur@example.se"]


def test_member_since_from_and_to_are_inclusive():
    AmbassadorFactory(email="tidig@example.se", member_since=date(2019, 12, 31))
    AmbassadorFactory(email="forsta@example.se", member_since=date(2020, 1, 1))
    AmbassadorFactory(email="sista@example.se", member_since=date(2021, 12, 31))
    AmbassadorFactory(email="sen@example.se", member_since=date(2022, 1, 1))
    AmbassadorFactory(email="okand@example.se", member_since=None)

    between = SegmentFactory(member_since_from=date(2020, 1, 1), member_since_to=date(2021, 12, 31))
    assert reached(between) == {"forsta@example.se", "sista@example.se"}
    assert reached(SegmentFactory(member_since_from=date(2022, 1, 1))) == {"sen@example.se"}
    assert reached(SegmentFactory(member_since_to=date(2019, 12, 31))) == {"tidig@example.se"}


def received_setup():
    """anna got the earlier campaign; bo's delivery failed; cia's was skipped; dan was never in it."""
    earlier = CampaignFactory(name="Förra brevet")
    anna, bo, cia, dan = (AmbassadorFactory(email=f"{name}@example.se") for name in ("anna", "bo", "cia", "dan"))
    for person, status in ((anna, Delivery.Status.SENT), (bo, Delivery.Status.FAILED), (cia, Delivery.Status.SKIPPED)):
        DeliveryFactory(campaign=earlier, ambassador=person, status=status)
    return earlier


def send_test_copy(earlier) -> None:
    """The coordinator's "send a test to me": a delivery of the campaign to an address, with no person attached."""
    DeliveryFactory(campaign=earlier, to_email="koordinator@kramfors.se", status=Delivery.Status.SENT)


def test_has_received_means_a_sent_delivery_of_that_campaign():
    earlier = received_setup()
    assert reached(SegmentFactory(received=earlier)) == {"anna@example.se"}


def test_has_not_received_reaches_everyone_without_a_sent_delivery_of_that_campaign():
    earlier = received_setup()
    assert reached(SegmentFactory(not_received=earlier)) == {"bo@example.se", "cia@example.se", "dan@example.se"}


def test_a_test_copy_sent_to_the_coordinator_does_not_change_who_has_not_received_a_campaign():
    earlier = received_setup()
    send_test_copy(earlier)
    assert reached(SegmentFactory(received=earlier)) == {"anna@example.se"}
    assert reached(SegmentFactory(not_received=earlier)) == {"bo@example.se", "cia@example.se", "dan@example.se"}


def test_people_without_an_address_are_left_out_and_counted():
    AmbassadorFactory(email="med@example.se")
    AmbassadorFactory(email=None, phone="+46701234567")

    result = audience(SegmentFactory())
    assert reached(SegmentFactory()) == {"med@example.se"}
    assert (result.no_email, result.unsubscribed, result.suppressed) == (1, 0, 0)


def test_newsletter_unsubscribers_are_left_out_of_newsletters_but_not_invitations():
    AmbassadorFactory(email="vill@example.se")
    AmbassadorFactory(email="nej-brev@example.se", wants_newsletters=False)
    AmbassadorFactory(email="nej-inbjudan@example.se", wants_invitations=False)
    target = SegmentFactory()

    newsletters = audience(target, Campaign.Kind.NEWSLETTER)
    assert reached(target, Campaign.Kind.NEWSLETTER) == {"vill@example.se", "nej-inbjudan@example.se"}
    assert newsletters.unsubscribed == 1

    invitations = audience(target, Campaign.Kind.INVITATION)
    assert reached(target, Campaign.Kind.INVITATION) == {"vill@example.se", "nej-brev@example.se"}
    assert invitations.unsubscribed == 1


def test_suppressed_addresses_are_left_out_and_counted():
    AmbassadorFactory(email="ok@example.se")
    AmbassadorFactory(email="studsar@example.se")
    SuppressionFactory(email="studsar@example.se", reason=Suppression.Reason.HARD_BOUNCE)

    result = audience(SegmentFactory())
    assert reached(SegmentFactory()) == {"ok@example.se"}
    assert (result.no_email, result.unsubscribed, result.suppressed) == (0, 0, 1)


def test_someone_left_out_for_several_reasons_is_counted_once():
    AmbassadorFactory(email="ok@example.se")
    AmbassadorFactory(email="bada@example.se", wants_newsletters=False)
    SuppressionFactory(email="bada@example.se", reason=Suppression.Reason.COMPLAINT)
    AmbassadorFactory(email=None, phone="+46701234567", wants_newsletters=False)

    result = audience(SegmentFactory())
    assert result.recipients.count() == 1
    assert (result.no_email, result.unsubscribed, result.suppressed) == (1, 1, 0)
    assert result.excluded == 2


def test_people_outside_the_segment_are_not_counted_as_left_out():
    AmbassadorFactory(email="ok@example.se")
    AmbassadorFactory(email=None, phone="+46701234567", status=Ambassador.Status.ALUMNI)
    AmbassadorFactory(email="alumn@example.se", status=Ambassador.Status.ALUMNI, wants_newsletters=False)

    assert audience(SegmentFactory()).excluded == 0


def test_the_audience_is_evaluated_when_asked_not_when_saved():
    target = SegmentFactory()
    AmbassadorFactory(email="tidig@example.se")
    assert reached(target) == {"tidig@example.se"}
    AmbassadorFactory(email="ny@example.se")
    assert reached(target) == {"tidig@example.se", "ny@example.se"}


def test_the_segment_admin_page_shows_the_recipient_count_and_who_is_left_out(coordinator_client):
    AmbassadorFactory.create_batch(3)
    AmbassadorFactory(email=None, phone="+46701234567")
    AmbassadorFactory(wants_newsletters=False)
    AmbassadorFactory(wants_newsletters=False)
    AmbassadorFactory(email="studsar@example.se")
    SuppressionFactory(email="studsar@example.se", reason=Suppression.Reason.HARD_BOUNCE)
    target = SegmentFactory()
    coordinator_client.cookies["django_language"] = "en"

    response = coordinator_client.get(f"/admin/campaigns/segment/{target.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "3 recipients" in page
    assert "1 without an email address" in page
    assert "2 unsubscribed" in page
    assert "1 blocked address (bounce or complaint)" in page


def test_the_segment_admin_saves_a_segment_built_from_choices(coordinator_client):
    bollsta = LocalityFactory(name="Bollstabruk")
    response = coordinator_client.post(
        "/admin/campaigns/segment/add/",
        {"name": "Bollsta, pausade", "statuses": ["paused"], "localities": [bollsta.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    AmbassadorFactory(email="ja@example.se", status=Ambassador.Status.PAUSED, locality=bollsta)
    AmbassadorFactory(email="nej@example.se", status=Ambassador.Status.ACTIVE, locality=bollsta)

    from campaigns.models import Segment

    assert reached(Segment.objects.get(name="Bollsta, pausade")) == {"ja@example.se"}
