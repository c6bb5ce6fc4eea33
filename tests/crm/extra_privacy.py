"""An app's privacy module as crm.privacy calls it, for tests/crm/test_providers.py: it keeps what it was asked."""

from __future__ import annotations

asked: list[tuple[str, int]] = []


def person_data(ambassador, scope) -> dict[str, list[dict]]:
    asked.append(("data", ambassador.pk))
    return {"extra.note": [{"about": ambassador.pk, "addresses": sorted(scope.addresses)}]}


def person_erase(ambassador, scope) -> None:
    asked.append(("erase", ambassador.pk))


def retention_steps(now) -> list:
    return [("extra_rows", lambda: 7)]
