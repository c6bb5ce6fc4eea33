"""Builders shared by the newsletter tests: audiences, campaigns, a started send, and reading what arrived."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from django.utils import timezone

from campaigns.models import Campaign, Delivery, Segment
from campaigns.services.newsletters import campaign_schedule, campaigns_start_due
from network.models import Ambassador
from tests.factories import AmbassadorFactory


def segment(name="Alla aktiva", **fields) -> Segment:
    localities = fields.pop("localities", [])
    interests = fields.pop("interests", [])
    created = Segment.objects.create(name=name, **fields)
    created.localities.set(localities)
    created.interests.set(interests)
    return created


def campaign(audience: Segment | None = None, **fields) -> Campaign:
    fields = {
        "name": "Vårbrevet",
        "subject": "Hej {{ first_name }}, nytt från Kramfors",
        "body": "Hej {{ first_name }} i {{ locality }}!\n\nVi ses på **torget** på lördag.",
        **fields,
    }
    return Campaign.objects.create(segment=audience or segment(), **fields)


def people(count: int, **fields) -> list[Ambassador]:
    return AmbassadorFactory.create_batch(count, **fields)


def many_people(count: int, prefix: str = "bulk") -> None:
    """Fast: one INSERT for a big audience."""
    Ambassador.objects.bulk_create(
        Ambassador(first_name=f"Person{i}", last_name="Ödmark", email=f"{prefix}{i}@example.se") for i in range(count)
    )


def start(sending: Campaign) -> list[int]:
    """Schedule now and let the beat start it (fan-out); the ids of the queued deliveries, in order."""
    now = timezone.now()
    campaign_schedule(campaign=sending, now=now)
    campaigns_start_due(now=now + timedelta(seconds=1))
    sending.refresh_from_db()
    return list(
        Delivery.objects.filter(campaign=sending, ambassador__isnull=False).order_by("pk").values_list("pk", flat=True)
    )


def statuses(sending: Campaign) -> dict[str, str]:
    return dict(Delivery.objects.filter(campaign=sending, ambassador__isnull=False).values_list("to_email", "status"))


def unsubscribe_path(message) -> str:
    """The path of the https/http URL in the List-Unsubscribe header of a received message."""
    header = str(message["List-Unsubscribe"]).strip()
    assert header.startswith("<") and header.endswith(">"), header
    return urlparse(header[1:-1]).path
