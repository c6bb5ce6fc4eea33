"""The audit log and the retention runs: read-only, for those given their view permission (administrators)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, RetentionRun


class NotDeletedAlone:
    """Rows that are part of a person or a record about them (an email sent, a consent given, an unsubscribe, an
    address never to be mailed): they go only when the person is erased (crm.privacy), never one by one."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NotDeletedAlone, admin.ModelAdmin):
    """Nobody adds, changes or deletes log rows, not even a superuser."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_display", "action", "ambassador"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    list_select_related = ["actor"]
    search_fields = ["=ambassador_id"]
    search_help_text = _("An ambassador's id (the number in the address of their page).")
    show_full_result_count = False
    list_per_page = 100
    fields = ["at", "actor_display", "action", "ambassador"]
    readonly_fields = fields

    @admin.display(description=_("by"), ordering="actor")
    def actor_display(self, obj: AuditEntry) -> str:
        if obj.actor_id is None:
            return _("the system or the person")
        return obj.actor.get_username() if obj.actor is not None else f"#{obj.actor_id}"

    @admin.display(description=_("ambassador id"), ordering="ambassador_id")
    def ambassador(self, obj: AuditEntry) -> str:
        # The id only: the log shows no names, also to someone who may not view ambassadors.
        url = reverse("admin:network_ambassador_change", args=[obj.ambassador_id])
        return format_html('<a href="{}">{}</a>', url, obj.ambassador_id)

    def get_search_results(self, request, queryset, search_term):
        if search_term and not search_term.strip().isdigit():
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "finished_at", "removed"]
    fields = ["started_at", "finished_at", "removed"]
    readonly_fields = fields

    @admin.display(description=_("removed"))
    def removed(self, obj: RetentionRun) -> str:
        labels = RetentionRun.CATEGORIES
        return ", ".join(f"{labels.get(key, key)}: {count}" for key, count in obj.counts.items()) or "–"
