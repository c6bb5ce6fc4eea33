"""Mina sidor's part of a person's data export and erasure: the sign-in links they asked for."""

from __future__ import annotations

from crm.privacy import row
from network.models import Ambassador
from network.privacy import Scope

from .models import SignInLink


def person_data(ambassador: Ambassador, scope: Scope) -> dict[str, list[dict]]:
    # When they asked for a link and when they used it; never the link's secret (nor its hash).
    links = SignInLink.objects.filter(ambassador=ambassador).order_by("created_at", "pk")
    return {"mypages.signinlink": [row(link, exclude=("ambassador", "secret_hash")) for link in links]}


def person_erase(ambassador: Ambassador, scope: Scope) -> None:
    SignInLink.objects.filter(ambassador=ambassador).delete()
