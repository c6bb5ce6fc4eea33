from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .export import figures_csv
from .figures import DEFAULT_PERIOD, dashboard
from .report import PERIOD, report_context

# The report is about the network's members: whoever may not see the ambassadors does not get it.
REPORT_PERMISSION = "network.view_ambassador"


def export(request):
    """The figures of the dashboard as the member of staff sees them (their permissions), as CSV."""
    board = dashboard(request.user, period=request.GET.get("period", DEFAULT_PERIOD))
    response = HttpResponse(figures_csv(board), content_type="text/csv; charset=utf-8")
    name = f"nyckeltal-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def report(request):
    """The monthly report as a page to read and print: the same figures as the email (dashboard.report), as the
    member of staff may see them."""
    if not request.user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied
    board = dashboard(request.user, period=PERIOD)
    context = {
        **admin.site.each_context(request),
        **report_context(board),
    }
    context["title"] = _("Monthly report, %(month)s") % {"month": context["month"]}
    return render(request, "dashboard/report.html", context)
