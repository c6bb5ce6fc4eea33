"""Which applications may be approved or declined (network.applications), asked directly: the admin's buttons and
the services that decide follow the same rule."""

from __future__ import annotations

import pytest
from django.utils import translation

from network.models import Application
from network.services import ReviewError, application_approve, application_may_approve, application_may_decline
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

Status = Application.Status


def application(status: str) -> Application:
    return ApplicationFactory(first_name="Anna", last_name="Ödmark", email="anna@example.se", status=status)


@pytest.mark.parametrize(
    ("status", "approve", "decline"),
    [
        (Status.UNCONFIRMED, False, True),
        (Status.CONFIRMED, True, True),
        (Status.APPROVED, False, False),
        (Status.DECLINED, False, False),
        (Status.WITHDRAWN, False, False),
    ],
)
def test_an_application_is_approved_once_confirmed_and_declined_before_it_is_decided(status, approve, decline):
    assert application_may_approve(application(status)) is approve
    assert application_may_decline(application(status)) is decline


def test_approving_what_may_not_be_approved_is_refused_with_its_status():
    with translation.override("en"), pytest.raises(ReviewError, match="Unconfirmed"):
        application_approve(application=application(Status.UNCONFIRMED))
