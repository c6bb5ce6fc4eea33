"""Consent, per purpose: recorded with time, text version and source when given, and withdrawn as easily.

The purposes, their legal basis and the version of their text are in settings.PRIVACY. ConsentRecord is
append-only: giving adds a row, withdrawing adds a row with `withdrawn_at`; the latest row for a person and purpose
is their answer. The signup consent (purpose "registry") covers the whole notice, newsletters and invitations
included, so those two get rows of their own once someone withdraws (the unsubscribe link, the preferences page)
or gives them again.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from .models import Ambassador, ConsentRecord

Purpose = ConsentRecord.Purpose
Source = ConsentRecord.Source

# The purpose behind each kind of campaign (campaigns.models.Campaign.Kind).
PURPOSE_OF_KIND = {"newsletter": Purpose.NEWSLETTERS, "invitation": Purpose.INVITATIONS}


def purpose_version(purpose: str) -> str:
    """The version of the purpose's text now in force."""
    return settings.PRIVACY["purposes"][purpose]["version"]


def consent_latest(*, ambassador: Ambassador, purpose: str) -> ConsentRecord | None:
    return ConsentRecord.objects.filter(ambassador=ambassador, purpose=purpose).order_by("-given_at", "-pk").first()


def _record(*, ambassador: Ambassador, purpose: str, source: str, withdrawn_at: datetime | None) -> ConsentRecord:
    return ConsentRecord.objects.create(
        email=ambassador.email or "",
        ambassador=ambassador,
        purpose=purpose,
        text_version=purpose_version(purpose),
        source=source,
        withdrawn_at=withdrawn_at,
    )


def consent_give(*, ambassador: Ambassador, purpose: str, source: str) -> ConsentRecord | None:
    """Record that the person consents to the purpose; None when their latest record already says so."""
    latest = consent_latest(ambassador=ambassador, purpose=purpose)
    if latest is not None and latest.withdrawn_at is None:
        return None
    return _record(ambassador=ambassador, purpose=purpose, source=source, withdrawn_at=None)


def consent_withdraw(
    *, ambassador: Ambassador, purpose: str, source: str, now: datetime | None = None
) -> ConsentRecord | None:
    """Record that the person withdrew consent to the purpose; None when their latest record already says so
    (an unsubscribe link used twice, or recorded both here and by its caller)."""
    latest = consent_latest(ambassador=ambassador, purpose=purpose)
    if latest is not None and latest.withdrawn_at is not None:
        return None
    return _record(ambassador=ambassador, purpose=purpose, source=source, withdrawn_at=now or timezone.now())
