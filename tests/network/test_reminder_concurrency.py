"""Two coordinators press "Skicka påminnelsen" at the same moment (issue 19): each person not answered is reminded
once, on PostgreSQL with two connections. The once-per-day key is a unique constraint: the second insert waits for
the first transaction and then finds the key taken. SQLite serialises writes, so the test is skipped there."""

from __future__ import annotations

import pytest
from django.db import connection

from campaigns.models import Campaign, Delivery
from network.event_answers import invitation_reminders_send
from tests.factories import AmbassadorFactory, CampaignFactory, DeliveryFactory, EventFactory
from tests.network.test_rsvp_concurrency import in_parallel

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writes: run on PostgreSQL"),
]


def test_two_coordinators_reminding_at_once_remind_each_person_once():
    event = EventFactory()
    invitation = CampaignFactory(kind=Campaign.Kind.INVITATION, event=event, status=Campaign.Status.SENT)
    people = AmbassadorFactory.create_batch(20)
    for person in people:
        DeliveryFactory(campaign=invitation, ambassador=person, status=Delivery.Status.SENT)

    results = in_parallel([lambda: invitation_reminders_send(event=event)] * 2)

    assert not [result for result in results if isinstance(result, Exception)], results
    assert sum(results) == 20  # between them, one reminder each
    reminded = Delivery.objects.filter(template="event_invitation_reminder")
    assert sorted(reminded.values_list("ambassador_id", flat=True)) == sorted(person.pk for person in people)
