"""The admin for events: the list with answers counted, the attendance page, the attendee exports; and what an
ambassador's page and list show of events (their events, their trainings, the "has completed training" filter)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import events, selectors
from .attendees import event_attendees_export
from .event_tools_admin import EventToolsMixin
from .models import Ambassador, Event


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


class UpcomingFilter(admin.SimpleListFilter):
    title = _("upcoming or past")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(ends_at__gte=now).order_by("starts_at")
        if self.value() == "past":
            return queryset.filter(ends_at__lt=now)
        return queryset


@admin.register(Event)
class EventAdmin(EventToolsMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "kind",
        "starts_display",
        "place",
        "capacity",
        "count_yes",
        "count_waitlist",
        "count_no",
        "count_attended",
    ]
    list_filter = [UpcomingFilter, "kind", "is_training"]
    search_fields = ["title", "place"]
    date_hierarchy = "starts_at"
    readonly_fields = ["answers", "invitation_answers"]
    fieldsets = [
        (None, {"fields": ["title", "kind", "is_training", "description"]}),
        (_("Time and place"), {"fields": ["starts_at", "ends_at", "place", "address"]}),
        (_("Answers"), {"fields": ["capacity", "rsvp_deadline", "answers", "invitation_answers"]}),
        (_("After the event"), {"fields": ["follow_up_text"]}),
    ]

    def get_queryset(self, request):
        return events.events_with_counts()

    def save_model(self, request, obj, form, change):
        before = Event.objects.filter(pk=obj.pk).values(*events.CALENDAR_FIELDS).first() if change else None
        super().save_model(request, obj, form, change)
        if before and (told := events.event_changed(event=obj, before=before)):
            self.message_user(
                request,
                ngettext(
                    "%(count)d participant got the new time and place by email.",
                    "%(count)d participants got the new time and place by email.",
                    told,
                )
                % {"count": told},
                messages.SUCCESS,
            )
        if change and "capacity" in form.changed_data:
            if moved := events.capacity_changed(event_id=obj.pk):
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d person moved up from the waiting list and was told by email.",
                        "%(count)d people moved up from the waiting list and were told by email.",
                        moved,
                    )
                    % {"count": moved},
                    messages.SUCCESS,
                )

    def delete_model(self, request, obj):
        self._delete(request, [obj], lambda: super(EventAdmin, self).delete_model(request, obj))

    def delete_queryset(self, request, queryset):
        self._delete(request, list(queryset), lambda: super(EventAdmin, self).delete_queryset(request, queryset))

    def _delete(self, request, doomed: list[Event], delete) -> None:
        """Those who said yes to an event that has not started are told it is cancelled (with a calendar
        cancellation), in the same transaction as the delete: both or neither."""
        with transaction.atomic():
            told = sum(events.event_cancel(event=event) for event in doomed)
            delete()
        if told:
            self.message_user(
                request,
                ngettext(
                    "%(count)d participant was told by email that the event is cancelled.",
                    "%(count)d participants were told by email that the event is cancelled.",
                    told,
                )
                % {"count": told},
                messages.SUCCESS,
            )

    @admin.display(description=_("starts"), ordering="starts_at")
    def starts_display(self, event: Event) -> str:
        return _when(event.starts_at)

    @admin.display(description=_("yes"), ordering="count_yes")
    def count_yes(self, event: Event) -> int:
        return event.count_yes

    @admin.display(description=_("waiting list"), ordering="count_waitlist")
    def count_waitlist(self, event: Event) -> int:
        return event.count_waitlist

    @admin.display(description=_("no"), ordering="count_no")
    def count_no(self, event: Event) -> int:
        return event.count_no

    @admin.display(description=_("attended"), ordering="count_attended")
    def count_attended(self, event: Event) -> int:
        return event.count_attended

    @admin.display(description=_("Answers so far"))
    def answers(self, event: Event) -> str:
        if event.pk is None:
            return "–"
        counts = (
            _("%(yes)d yes, %(waitlist)d on the waiting list, %(no)d no, %(attended)d attended")
            % {
                "yes": event.count_yes,
                "waitlist": event.count_waitlist,
                "no": event.count_no,
                "attended": event.count_attended,
            }
            if hasattr(event, "count_yes")
            else ""
        )
        links = [
            (reverse("admin:network_event_attendees_csv", args=[event.pk]), _("Attendee list (CSV for Excel)")),
            (reverse("admin:network_event_attendees_xlsx", args=[event.pk]), _("Attendee list (Excel)")),
            (reverse("admin:network_event_participants", args=[event.pk]), _("Participant list to print")),
        ]
        if events.attendance_open(event):  # not before the event has started
            links.insert(0, (reverse("admin:network_event_attendance", args=[event.pk]), _("Mark attendance")))
        return format_html("<p>{}</p><ul>{}</ul>", counts, format_html_join("", '<li><a href="{}">{}</a></li>', links))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/attendance/", view(self.attendance_view), name="network_event_attendance"),
            path("<int:pk>/attendees.csv", view(self.attendees_csv_view), name="network_event_attendees_csv"),
            path("<int:pk>/attendees.xlsx", view(self.attendees_xlsx_view), name="network_event_attendees_xlsx"),
            *self.tools_urls(),
            *super().get_urls(),
        ]

    def attendance_view(self, request, pk: int):
        """Who came, ticked on one page and saved with one POST (permission: change event). Before anyone is
        marked, those who said yes are ticked."""
        event = get_object_or_404(Event, pk=pk)
        if not self.has_change_permission(request, event):
            raise PermissionDenied
        if not events.attendance_open(event):
            when = formats.date_format(timezone.localtime(event.starts_at), "j F Y H:i")
            self.message_user(
                request, _("Attendance can be marked once the event has started (%(when)s).") % {"when": when}
            )
            return HttpResponseRedirect(reverse("admin:network_event_change", args=[event.pk]))
        if request.method == "POST":
            chosen = {int(value) for value in request.POST.getlist("attended") if value.isdigit()}
            walk_ins = {int(value) for value in request.POST.getlist("walk_in") if value.isdigit()}
            count = events.attendance_save(event=event, registration_ids=chosen, walk_in_ids=walk_ins)
            self.message_user(
                request,
                ngettext("%(count)d person marked as attended.", "%(count)d people marked as attended.", count)
                % {"count": count},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:network_event_change", args=[event.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Attendance: %(event)s") % {"event": event.title},
            "event": event,
            "when": events.event_when(event),
            "rows": events.attendance_rows(event),
            "walk_ins": events.walk_in_choices(event),
        }
        return TemplateResponse(request, "admin/network/event/attendance.html", context)

    def _attendees(self, request, pk: int, file_format: str) -> HttpResponse:
        event = get_object_or_404(Event, pk=pk)
        if not (self.has_view_permission(request, event) and request.user.has_perm("network.view_ambassador")):
            raise PermissionDenied
        export = event_attendees_export(event=event, file_format=file_format, actor=request.user)
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.name}"'
        return response

    def attendees_csv_view(self, request, pk: int):
        return self._attendees(request, pk, "csv")

    def attendees_xlsx_view(self, request, pk: int):
        return self._attendees(request, pk, "xlsx")


# On the ambassador's list and page ---------------------------------------------------------------------------


class CompletedTrainingFilter(admin.SimpleListFilter):
    """The filter "has completed training X": attended an event that counts as a training."""

    title = _("has completed the training")
    parameter_name = "training"

    def lookups(self, request, model_admin):
        trainings = selectors.trainings_held(now=timezone.now())
        return [(str(event.pk), f"{event.title} ({formats.date_format(event.starts_at)})") for event in trainings]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(pk__in=selectors.completed_training(int(value)))
        return queryset


RECENT_EVENTS = 20  # events listed on an ambassador's page; their completed trainings are all named


def ambassador_events(ambassador: Ambassador) -> str:
    """An ambassador's latest events (newest first, with their answer and whether they came) and every training
    they completed: two queries, and a page as quick for a long-standing member as for a new one."""
    if ambassador.pk is None:
        return "–"
    registrations, more = selectors.ambassador_registrations(ambassador, limit=RECENT_EVENTS)
    if not registrations:
        return str(_("Has not answered any invitation."))
    trainings = selectors.ambassador_trainings_completed(ambassador)
    lines = format_html_join(
        "",
        "<li>{} – {}: {}{}</li>",
        (
            (
                _when(r.event.starts_at),
                r.event.title,
                r.get_answer_display(),
                _(", attended") if r.attended else "",
            )
            for r in registrations
        ),
    )
    completed = (
        format_html("<p>{} {}</p>", _("Completed trainings:"), ", ".join(trainings))
        if trainings
        else format_html("<p>{}</p>", _("No completed trainings."))
    )
    latest = format_html("<p>{}</p>", _("The latest %(count)d events:") % {"count": RECENT_EVENTS}) if more else ""
    return format_html("{}{}<ul>{}</ul>", completed, latest, lines)
