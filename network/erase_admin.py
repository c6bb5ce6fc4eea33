"""The admin's delete, for rows that are people: one way out (crm.privacy).

Django's delete button and its "delete selected" action would remove the row and leave the rest of the person
(their applications, the emails to them, the admin's log naming them). Here both show a page saying what goes and
then erase through crm.privacy; Django's own bulk delete is not offered.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ErasingDelete:
    """For a ModelAdmin of people, which gives `erase(request, objects) -> count` (the erasing, in crm.privacy),
    `erase_done(count) -> str` (what was done) and `erase_text` (what goes). Add "erase_people" to the ModelAdmin's
    actions for the bulk action."""

    erase_text = ""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # Whatever calls Django's delete (a third-party path, a later view) erases too.
    def delete_model(self, request, obj) -> None:
        self.erase(request, [obj])

    def delete_queryset(self, request, queryset) -> None:
        self.erase(request, list(queryset))

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_delete_permission(request, obj):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("post") == "yes":
            return self._erased(request, self.erase(request, [obj]))
        return self.erase_confirm(request, [obj], bulk=False)

    @admin.action(description=_("Erase the person"), permissions=["delete"])
    def erase_people(self, request, queryset):
        """The bulk action: the rows the user may remove, after the same page."""
        objects = [obj for obj in queryset if self.has_delete_permission(request, obj)]
        if not objects:
            self.message_user(request, _("None of the chosen can be removed here."), messages.WARNING)
            return None
        if request.POST.get("post") != "yes":
            return self.erase_confirm(request, objects, bulk=True)
        return self._erased(request, self.erase(request, objects))

    def erase_confirm(self, request, objects, *, bulk: bool):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Erase these people?"),
            "text": self.erase_text,
            "objects": objects,
            "action": "erase_people" if bulk else "",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "changelist_url": self._changelist_url(),
        }
        return TemplateResponse(request, "admin/erase_confirm.html", context)

    def _erased(self, request, count: int):
        self.message_user(request, self.erase_done(count), messages.SUCCESS)
        return HttpResponseRedirect(self._changelist_url())

    def _changelist_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
