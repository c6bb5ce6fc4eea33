from django.http import HttpResponse
from django.utils import timezone

from .export import figures_csv
from .figures import DEFAULT_PERIOD, dashboard


def export(request):
    """The figures of the dashboard as the member of staff sees them (their permissions), as CSV."""
    board = dashboard(request.user, period=request.GET.get("period", DEFAULT_PERIOD))
    response = HttpResponse(figures_csv(board), content_type="text/csv; charset=utf-8")
    name = f"nyckeltal-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
