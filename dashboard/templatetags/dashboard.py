from django import template

from ..figures import DEFAULT_PERIOD, PERIODS, dashboard
from ..views import REPORT_PERMISSION

register = template.Library()


@register.inclusion_tag("dashboard/panel.html", takes_context=True)
def dashboard_panel(context):
    """The figures the signed-in member of staff may see, for the period chosen (?period=year|12m|all)."""
    request = context["request"]
    period = request.GET.get("period", DEFAULT_PERIOD)
    return {
        "dashboard": dashboard(request.user, period=period),
        "periods": [(key, label) for key, label in PERIODS.items()],
        "may_see_report": request.user.has_perm(REPORT_PERMISSION),
    }
