from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from django.contrib import admin

        # The admin's start page: the figures first, the list of apps below (dashboard/templates/dashboard/index.html).
        admin.site.index_template = "dashboard/index.html"
