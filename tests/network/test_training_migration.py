"""Migration 0012 gives stored data the one answer to "trained": an event of kind training counts as one, and a yes
"given" after the event had started (a walk-in marked at the door, before walk-ins had their own answer) says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.network.test_recommendation_names_migration import migrate

pytestmark = pytest.mark.django_db(transaction=True)


def test_stored_trainings_count_and_stored_walk_ins_are_not_a_yes():
    old = migrate([("network", "0011_recommendation_names")])
    Event, Registration = old.get_model("network", "Event"), old.get_model("network", "Registration")
    Ambassador = old.get_model("network", "Ambassador")
    start = timezone.now() - timedelta(days=3)
    training = Event.objects.create(
        title="Dialog", kind="training", is_training=False, starts_at=start, ends_at=start + timedelta(hours=2)
    )
    anna, bo = (Ambassador.objects.create(first_name=name, email=f"{name}@example.se") for name in ("anna", "bo"))
    said_yes = Registration.objects.create(
        event=training, ambassador=anna, answer="yes", answered_at=start - timedelta(days=5), attended=True
    )
    walked_in = Registration.objects.create(
        event=training, ambassador=bo, answer="yes", answered_at=start + timedelta(hours=1), attended=True
    )

    new = migrate([("network", "0012_training_counts_walk_in")])
    assert new.get_model("network", "Event").objects.get(pk=training.pk).is_training
    answers = dict(new.get_model("network", "Registration").objects.values_list("pk", "answer"))
    assert answers == {said_yes.pk: "yes", walked_in.pk: "walk_in"}
    migrate()
