"""The coordinator's daily digest (07:00): newly confirmed applications, new recommendations, and the recruitment
follow-ups due today or overdue, each with a link to it in the admin. At the same time each member of staff who
owns a follow-up due today or overdue gets their own list (`follow_ups_due_queue`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from network import selectors
from network.normalize import display_phone

from ..models import Delivery
from .outbox import email_queue

FOLLOW_UPS_LISTED = 100  # the oldest first; the admin's list has the rest


def _admin_url(name: str, *args) -> str:
    return f"{settings.SITE_URL}{reverse(f'admin:{name}', args=args)}"


def coordinator_digest_queue(*, now: datetime | None = None) -> Delivery | None:
    """Newly confirmed applications and new recommendations since the last digest, and the follow-ups due;
    nothing when there are none."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    previous = Delivery.objects.filter(template="coordinator_digest").order_by("-created_at").first()
    since = (
        datetime.fromisoformat(previous.context["until"])
        if previous and "until" in previous.context
        else now - timedelta(days=1)
    )
    applications = list(selectors.applications_confirmed_between(since, now))
    contacts = list(selectors.recruitment_contacts_created_between(since, now))
    due = selectors.recruitment_contacts_follow_up_due(today)
    follow_ups = list(due[:FOLLOW_UPS_LISTED])
    follow_ups_count = due.count() if len(follow_ups) == FOLLOW_UPS_LISTED else len(follow_ups)
    if not applications and not contacts and not follow_ups:
        return None
    return email_queue(
        template="coordinator_digest",
        to_email=settings.COORDINATOR_EMAIL,
        key=f"digest:{today.isoformat()}",
        context={
            "applications": [
                {
                    "name": f"{a.first_name} {a.last_name}",
                    "email": a.email,
                    "locality": str(a.locality or ""),
                    "url": _admin_url("network_application_change", a.pk),
                }
                for a in applications
            ],
            "contacts": [
                {
                    "name": c.name,
                    "contact": display_phone(c.contact_details),
                    "recommender": c.recommender_name,
                    "url": _admin_url("network_recruitmentcontact_change", c.pk),
                }
                for c in contacts
            ],
            "follow_ups": [
                {
                    "name": c.name,
                    "contact": display_phone(c.contact_details),
                    "due": c.follow_up_on.isoformat(),
                    "overdue": c.follow_up_on < today,
                    "url": _admin_url("network_recruitmentcontact_change", c.pk),
                }
                for c in follow_ups
            ],
            "follow_ups_count": follow_ups_count,
            "more_follow_ups": follow_ups_count > len(follow_ups),
            "follow_ups_url": _admin_url("network_recruitmentcontact_changelist")
            + f"?status__in=new,contacted&follow_up_on__lt={(today + timedelta(days=1)).isoformat()}",
            "admin_url": f"{settings.SITE_URL}/admin/network/application/?status__exact=confirmed",
            "until": now.isoformat(),
        },
    )


def follow_ups_due_queue(*, now: datetime | None = None) -> list[Delivery]:
    """Each owner of a recruitment follow-up due today or overdue gets one email listing exactly theirs (oldest
    first); an owner with none gets nothing. Once a day each (the key)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = []
    for owner in selectors.recruitment_follow_up_owners(today):
        due = selectors.recruitment_contacts_follow_up_due(today).filter(owner=owner)
        follow_ups = list(due[:FOLLOW_UPS_LISTED])
        if not follow_ups:
            continue
        count = due.count() if len(follow_ups) == FOLLOW_UPS_LISTED else len(follow_ups)
        delivery = email_queue(
            template="follow_ups_due",
            to_email=owner.email,
            to_name=owner.get_full_name(),
            key=f"follow-ups:{owner.pk}:{today.isoformat()}",
            context={
                "follow_ups": [
                    {
                        "name": c.name,
                        "contact": display_phone(c.contact_details or c.email or c.phone),
                        "due": c.follow_up_on.isoformat(),
                        "overdue": c.follow_up_on < today,
                        "url": _admin_url("network_recruitmentcontact_change", c.pk),
                    }
                    for c in follow_ups
                ],
                "follow_ups_count": count,
                "more_follow_ups": count > len(follow_ups),
                "follow_ups_url": _admin_url("network_recruitmentcontact_changelist")
                + f"?due=yes&owner__id__exact={owner.pk}",
            },
        )
        if delivery is not None:
            sent.append(delivery)
    return sent
