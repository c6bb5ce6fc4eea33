"""Demo recruitment contacts for `seed_demo`: one in each stage, some recommended by a demo ambassador, follow-ups
due, overdue and later, owned by the demo coordinator. Fictional people; running it again adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Ambassador, Locality, RecruitmentContact, StageChange

Stage = RecruitmentContact.Status
Source = RecruitmentContact.Source

# name, email, phone, source, stage, follow-up in days (None: none), recommended by a demo ambassador
DEMO_CONTACTS = [
    ("Elin Nordström", "elin.nordstrom@example.se", "", Source.RECOMMENDATION, Stage.NEW, 0, True),
    ("Jonas Lidén", "", "+46701112233", Source.PHONE, Stage.CONTACTED, -3, False),
    ("Sara Holm", "sara.holm@example.se", "", Source.EVENT, Stage.INTERESTED, 2, False),
    ("Mikael Ström", "mikael.strom@example.se", "", Source.RECOMMENDATION, Stage.APPLIED, None, True),
    ("Ida Berglund", "ida.berglund@example.se", "", Source.EVENT, Stage.JOINED, None, False),
    ("Per Åkesson", "", "+46702223344", Source.MANUAL, Stage.NOT_INTERESTED, None, False),
    ("Nora Lund", "nora.lund@example.se", "", Source.RECOMMENDATION, Stage.NEW, -1, True),
    ("Tove Sjö", "tove.sjo@example.se", "", Source.EVENT, Stage.CLOSED, None, False),
]
ORDER = [Stage.NEW, Stage.CONTACTED, Stage.INTERESTED, Stage.APPLIED, Stage.JOINED]


def demo_recruitment_seed(*, owner=None) -> str:
    today = timezone.localdate()
    recommender = Ambassador.objects.filter(status=Ambassador.Status.ACTIVE).order_by("pk").first()
    localities = list(Locality.objects.filter(is_public=True).order_by("pk")[:7])
    created = 0
    for number, (name, email, phone, source, stage, days, recommended) in enumerate(DEMO_CONTACTS):
        if RecruitmentContact.objects.filter(name=name).exists():
            continue
        contact = RecruitmentContact.objects.create(
            name=name,
            email=email,
            phone=phone,
            contact_details=email or phone,
            source=source,
            status=stage,
            owner=owner,
            locality=localities[number % len(localities)] if localities else None,
            follow_up_on=today + timedelta(days=days) if days is not None else None,
            recommended_by=recommender if recommended else None,
            recommender_name=recommender.full_name if recommended and recommender else "",
        )
        # Their history: each stage on the way to where they are.
        path = ORDER[: ORDER.index(stage) + 1] if stage in ORDER else [Stage.NEW, Stage.CONTACTED, stage]
        for step, (before, after) in enumerate(zip([""] + path[:-1], path, strict=True)):
            StageChange.objects.create(
                contact=contact,
                from_status=before,
                to_status=after,
                changed_by=owner,
                created_at=timezone.now() - timedelta(days=3 * (len(path) - step)),
            )
        created += 1
    return _("Demo recruitment contacts: %(count)d created.") % {"count": created}
