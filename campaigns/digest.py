"""The coordinator's daily digest (07:00): newly confirmed applications and new recommendations."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from network import selectors

from .models import Delivery
from .outbox import email_queue


def coordinator_digest_queue(*, now: datetime | None = None) -> Delivery | None:
    """Newly confirmed applications and new recommendations since the last digest; nothing when there are none."""
    now = now or timezone.now()
    previous = Delivery.objects.filter(template="coordinator_digest").order_by("-created_at").first()
    since = (
        datetime.fromisoformat(previous.context["until"])
        if previous and "until" in previous.context
        else now - timedelta(days=1)
    )
    applications = list(selectors.applications_confirmed_between(since, now))
    contacts = list(selectors.recruitment_contacts_created_between(since, now))
    if not applications and not contacts:
        return None
    return email_queue(
        template="coordinator_digest",
        to_email=settings.COORDINATOR_EMAIL,
        key=f"digest:{timezone.localdate(now).isoformat()}",
        context={
            "applications": [
                {"name": f"{a.first_name} {a.last_name}", "email": a.email, "locality": str(a.locality or "")}
                for a in applications
            ],
            "contacts": [{"name": c.name, "contact": c.contact, "tipper": c.tipper_name} for c in contacts],
            "admin_url": f"{settings.SITE_URL}/admin/network/application/?status__exact=confirmed",
            "until": now.isoformat(),
        },
    )
