"""The network's admin. Each page is in the module named after what it administers, and registers itself there:
ambassador_admin, application_admin, event_admin, recruitment_admin (with erase_admin and person_admin, what the
pages of people share). They are imported here, which Django's autodiscovery of `network.admin` loads. The small
lists are registered here."""

from __future__ import annotations

from django.contrib import admin

from crm.admin import NotDeletedAlone

from .ambassador_admin import AmbassadorAdmin
from .application_admin import ApplicationAdmin
from .event_admin import EventAdmin
from .forms import CLEAN_INPUT_OVERRIDES
from .models import ConsentRecord, Interest, Locality
from .recruitment_admin import RecruitmentContactAdmin


@admin.register(Locality)
class LocalityAdmin(admin.ModelAdmin):
    formfield_overrides = CLEAN_INPUT_OVERRIDES
    list_display = ["name", "is_public"]
    list_editable = ["is_public"]
    list_filter = ["is_public"]
    search_fields = ["name"]


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin):
    formfield_overrides = CLEAN_INPUT_OVERRIDES
    search_fields = ["name"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(NotDeletedAlone, admin.ModelAdmin):
    list_display = ["email", "purpose", "text_version", "source", "given_at", "withdrawn_at"]
    list_filter = ["purpose", "source", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    readonly_fields = [
        "email",
        "purpose",
        "text_version",
        "source",
        "given_at",
        "withdrawn_at",
        "application",
        "ambassador",
    ]

    def has_add_permission(self, request):
        return False


__all__ = [
    "AmbassadorAdmin",
    "ApplicationAdmin",
    "ConsentRecordAdmin",
    "EventAdmin",
    "InterestAdmin",
    "LocalityAdmin",
    "RecruitmentContactAdmin",
]
