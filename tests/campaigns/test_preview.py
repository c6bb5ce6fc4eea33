"""The campaign's preview (campaigns.emails.campaign_preview), made without HTTP: as a chosen recipient gets it, or
as the coordinator's own copy; never with a link that unsubscribes or answers for anybody, and nothing saved."""

from __future__ import annotations

import pytest

from campaigns.emails import campaign_preview
from campaigns.models import Delivery
from tests.factories import AmbassadorFactory, CampaignFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsletter():
    return CampaignFactory(
        name="Vårbrevet",
        subject="Hej {{ first_name }}",
        body="Hej {{ first_name }} i {{ locality }}!\n\n[Avregistrera]({{ unsubscribe_url }})",
        segment=SegmentFactory(name="Alla"),
    )


def test_the_preview_as_a_recipient_has_their_name_and_an_inert_unsubscribe_link(newsletter):
    bo = AmbassadorFactory(first_name="Bosse", last_name="Berg", email="bosse@example.se")
    html = campaign_preview(campaign=newsletter, ambassador=bo, viewer_name="Kim Koordinator")
    assert "Hej Bosse i Kramfors!" in html  # no locality: the default
    assert "Kim" not in html
    assert "/avregistrera/test/" in html
    assert not Delivery.objects.exists()


def test_the_preview_without_a_recipient_is_the_viewers_own_copy(newsletter):
    html = campaign_preview(campaign=newsletter, viewer_name="Kim Koordinator")
    assert "Hej Kim" in html
    assert "/avregistrera/test/" in html


def test_the_preview_escapes_a_recipients_name(newsletter):
    person = AmbassadorFactory(first_name="<img src=x onerror=alert(1)>", email="x@example.se")
    html = campaign_preview(campaign=newsletter, ambassador=person)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
