"""The admin's recruitment pipeline: contacts by stage (with counts), the follow-ups due, "invite to apply", each
stage change recorded; the timeline and coordinator notes on a person's page; who an ambassador has recruited."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import selectors, services
from .forms import CLEAN_INPUT_OVERRIDES
from .models import Ambassador, RecruitmentContact
from .normalize import display_phone
from .person_admin import PersonForm
from .privacy import contacts_erase
from .recruitment import contact_candidates, contact_link_suggested
from .search import FoldedSearchMixin
from .timeline import contact_timeline


def _date(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def timeline_html(entries) -> str:
    """The timeline as a list, every text escaped (a note holds whatever a coordinator typed)."""
    if not entries:
        return "–"
    rows = (
        (
            formats.date_format(timezone.localtime(entry.at), "SHORT_DATETIME_FORMAT"),
            entry.text,
            format_html(" <span class='timeline-by'>({})</span>", entry.by) if entry.by else "",
        )
        for entry in entries
    )
    return format_html(
        "<ol class='timeline'>{}</ol>",
        format_html_join("", "<li><time>{}</time> {}{}</li>", rows),
    )


# Who an ambassador has recruited -------------------------------------------------------------------------------


def recruited_html(ambassador: Ambassador) -> str:
    """The ambassadors they recruited, and the contacts they recommended who have not joined (yet), with their stage."""
    if ambassador.pk is None:
        return "–"
    people, contacts = selectors.ambassador_recruits(ambassador)
    items = [
        (reverse("admin:network_ambassador_change", args=[person.pk]), person.full_name, _("ambassador"))
        for person in people
    ] + [
        (
            reverse("admin:network_recruitmentcontact_change", args=[contact.pk]),
            contact.name,
            contact.get_status_display(),
        )
        for contact in contacts
    ]
    if not items:
        return _("Nobody yet.")
    return format_html("<ul>{}</ul>", format_html_join("", "<li><a href='{}'>{}</a> ({})</li>", items))


# Coordinator notes --------------------------------------------------------------------------------------------


class NotesMixin:
    """A coordinator note added from the person's page: a small form under the change form posting to
    `<id>/note/` (view permission on the person and the right to add notes); the notes are read on the timeline."""

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_note"
        return [
            path("<path:object_id>/note/", self.admin_site.admin_view(self.note_view), name=name),
            *super().get_urls(),
        ]

    def note_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj) or not request.user.has_perm("network.add_note"):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if services.note_add(person=obj, author=request.user, text=request.POST.get("text", "")):
            self.message_user(request, _("The note was added to the timeline."), messages.SUCCESS)
        else:
            self.message_user(request, _("Write a note first."), messages.WARNING)
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_add_note": request.user.has_perm("network.add_note"),
            "note_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_note", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)


# Recruitment contacts -----------------------------------------------------------------------------------------


class StageFilter(admin.SimpleListFilter):
    """By stage, each with how many contacts are in it."""

    title = _("stage")
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        counts = selectors.recruitment_stage_counts()
        return [(value, f"{label} ({counts.get(value, 0)})") for value, label in RecruitmentContact.Status.choices]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class FollowUpDueFilter(admin.SimpleListFilter):
    """The follow-ups due: today or overdue, still open."""

    title = _("follow-up")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("yes", _("Due today or overdue")), ("later", _("Planned later"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "later"):
            due = self.value() == "yes"
            return selectors.recruitment_contacts_follow_up(queryset, day=timezone.localdate(), due=due)
        return queryset


class ContactForm(PersonForm):
    """The language to write to the contact in (the invitation to apply): a form sent without it keeps the
    contact's (Swedish for a new one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "language" in self.fields:
            self.fields["language"].required = False


@admin.register(RecruitmentContact)
class RecruitmentContactAdmin(NotesMixin, FoldedSearchMixin, admin.ModelAdmin):
    form = ContactForm  # the phone as Swedes write it (stored as E.164), as on an ambassador's page
    formfield_overrides = CLEAN_INPUT_OVERRIDES
    # What fits a 1280-pixel screen: who, how to reach them, where they are and the follow-up (the rest on the page).
    list_display = ["name", "contact_display", "source", "status", "owner", "follow_up_on"]
    list_filter = [StageFilter, FollowUpDueFilter, "owner", "source", ("follow_up_on", admin.DateFieldListFilter)]
    list_editable = ["status", "follow_up_on"]
    list_select_related = ["recommended_by", "owner"]
    search_fields = ["name", "contact_details", "email", "recommender_name", "recommender_email"]
    folded_search_fields = ["name", "contact_details", "recommender_name"]
    plain_search_fields = ["email", "recommender_email"]
    autocomplete_fields = ["recommended_by"]
    readonly_fields = ["invited_at", "application", "ambassador", "created_at", "updated_at", "timeline"]
    fieldsets = [
        (None, {"fields": ["name", "email", "phone", "contact_details", "locality", "language", "note"]}),
        (
            _("Follow-up"),
            {
                "fields": [
                    "status",
                    "owner",
                    "follow_up_on",
                    "source",
                    "recommended_by",
                    "recommender_name",
                    "recommender_email",
                ]
            },
        ),
        (_("History"), {"fields": ["invited_at", "application", "ambassador", "created_at", "updated_at", "timeline"]}),
    ]
    change_form_template = "admin/network/recruitmentcontact/change_form.html"
    actions = ["invite_to_apply"]

    class Media:
        css = {"all": ["network/admin-lists.css"]}

    @admin.display(description=_("how to reach them"), ordering="contact_details")
    def contact_display(self, obj: RecruitmentContact) -> str:
        return display_phone(obj.contact_details or obj.email or obj.phone)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj: RecruitmentContact) -> str:
        return _date(obj.created_at)

    @admin.display(description=_("timeline"))
    def timeline(self, obj: RecruitmentContact) -> str:
        return timeline_html(contact_timeline(obj)) if obj.pk else "–"

    # Who the contact may be: a suggestion; the coordinator links (network.recruitment.contact_candidates). -----

    def get_urls(self):
        view = self.admin_site.admin_view(self.link_view)
        invite = self.admin_site.admin_view(self.invite_view)
        return [
            path("<path:object_id>/link/", view, name="network_recruitmentcontact_link"),
            path("<path:object_id>/invite/", invite, name="network_recruitmentcontact_invite"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        may_link = obj is not None and self.has_change_permission(request, obj)
        context["candidates"] = contact_candidates(obj) if may_link else []
        if obj is not None:
            context["link_url"] = reverse("admin:network_recruitmentcontact_link", args=[obj.pk])
        if may_link:  # the same right as the list's action: changing the contact
            context["invite_url"] = reverse("admin:network_recruitmentcontact_invite", args=[obj.pk])
            context["invite_blocker"] = services.contact_invite_blocker(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def link_view(self, request, object_id):
        contact = self.get_object(request, unquote(object_id))
        if contact is None or not self.has_change_permission(request, contact):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        person = contact_link_suggested(contact=contact, key=request.POST.get("person", ""))
        if person is None:  # not a suggestion (any more): nothing is linked by a typed id
            self.message_user(request, _("That person is no longer suggested; nothing was linked."), messages.WARNING)
        else:
            name = f"{person.first_name} {person.last_name}"
            self.message_user(request, _("The contact is linked to %(person)s.") % {"person": name}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:network_recruitmentcontact_change", args=[contact.pk]))

    def invite_view(self, request, object_id):
        """The button on the contact's page: the list's "invite to apply" for this one contact."""
        contact = self.get_object(request, unquote(object_id))
        if contact is None or not self.has_change_permission(request, contact):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        invited, _skipped = services.contacts_invite(
            contacts=RecruitmentContact.objects.filter(pk=contact.pk), by=request.user
        )
        if invited:
            message = _("%(name)s was sent an invitation to apply, with a personal link to the signup form.")
            self.message_user(request, message % {"name": contact.name}, messages.SUCCESS)
        else:  # the button is off then, unless the contact changed meanwhile (another tab, an application)
            reason = services.contact_invite_blocker(contact)
            self.message_user(request, _("Nobody was invited: %(reason)s") % {"reason": reason}, messages.WARNING)
        return HttpResponseRedirect(reverse("admin:network_recruitmentcontact_change", args=[contact.pk]))

    # Removing contacts erases them (network.privacy): with them go the emails about them and the admin's log of them.
    def delete_model(self, request, obj) -> None:
        contacts_erase([obj.pk])

    def delete_queryset(self, request, queryset) -> None:
        contacts_erase(list(queryset.values_list("pk", flat=True)))

    def save_model(self, request, obj, form, change):
        """A stage set by hand is recorded, with who set it (the list's editable column too), as every stage change
        is: network.recruitment.contact_stage_set. A new contact's first stage is recorded from nothing."""
        previous = form.initial.get("status") if change else ""
        super().save_model(request, obj, form, change)
        if previous or not change:
            services.contact_stage_set(contact=obj, stage=obj.status, previous=previous, by=request.user)

    @admin.action(description=_("Invite to apply (a personal link to the signup form)"), permissions=["change"])
    def invite_to_apply(self, request, queryset):
        invited, skipped = services.contacts_invite(contacts=queryset, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d contact was invited to apply.", "%(count)d contacts were invited to apply.", invited)
            % {"count": invited},
            messages.SUCCESS if invited else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d contact was not invited (no email address, already applied, joined, said no or "
                    "closed, or already an ambassador).",
                    "%(count)d contacts were not invited (no email address, already applied, joined, said no or "
                    "closed, or already an ambassador).",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
