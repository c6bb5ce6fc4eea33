"""The audit log: who viewed, exported, changed or erased a person's data, and when.

Rows carry ids only (the member of staff, the ambassador, the action, the time). They are shown read-only in the
admin to those with the `crm.view_auditentry` permission (the superuser, and the administrators given it).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from .models import AuditEntry

Action = AuditEntry.Action
BATCH = 1000


def audit_record(*, action: str, ambassador_ids: Iterable[int], actor=None, at=None) -> int:
    """One row per ambassador; `actor` is a user (None: the system or the person themself). Returns the count."""
    at = at or timezone.now()
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    rows = [AuditEntry(at=at, actor_id=actor_id, ambassador_id=pk, action=action) for pk in ambassador_ids]
    AuditEntry.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
