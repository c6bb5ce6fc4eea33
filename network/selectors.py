"""Reads that other parts of the product (campaigns, the dashboard) rely on."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from .models import Ambassador, Application, RecruitmentContact


def ambassador_by_email(email: str) -> Ambassador | None:
    return Ambassador.objects.filter(email=email.strip().lower()).first() if email else None


def applications_confirmed_between(start: datetime, end: datetime) -> QuerySet[Application]:
    return Application.objects.filter(
        status=Application.Status.CONFIRMED, confirmed_at__gte=start, confirmed_at__lt=end
    ).select_related("locality")


def recruitment_contacts_created_between(start: datetime, end: datetime) -> QuerySet[RecruitmentContact]:
    return RecruitmentContact.objects.filter(created_at__gte=start, created_at__lt=end).select_related("referred_by")
