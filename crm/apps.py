from django.apps import AppConfig, apps
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

SITE_NAME = "Ambassadörsnätverket"


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = SITE_NAME

    def ready(self) -> None:
        from django.contrib import admin

        from . import sqlite

        sqlite.install()
        # The admin is the network's, in Swedish: never "Django administration".
        admin.site.site_header = admin.site.site_title = SITE_NAME
        admin.site.index_title = _("Overview")
        # Her screen is 1280 pixels wide: the lists need the width the navigation sidebar took (the breadcrumbs
        # and the overview lead everywhere; tests/e2e/test_admin_lists_browser.py).
        admin.site.enable_nav_sidebar = False
        name_link_tables(("network", "campaigns"))


def name_link_tables(app_labels) -> None:
    """Readable names for the tables Django creates behind a ManyToManyField (ambassador – interest, …).

    Django names such a row "Ambassador_interests object (137)" and the table "ambassador-interest relationship"
    after the models' code names, both shown in English when the admin lists what a deletion takes with it. Here a
    row is named by the two objects it links ("Anna Ödmark – Kultur") and the table by their verbose names
    ("ambassadör – intresse", translated)."""
    for model in apps.get_models(include_auto_created=True):
        if not (model._meta.auto_created and model._meta.app_label in app_labels):
            continue
        source, target = (field for field in model._meta.fields if field.is_relation)
        model._meta.verbose_name = format_lazy(
            "{} – {}", source.related_model._meta.verbose_name, target.related_model._meta.verbose_name
        )
        model._meta.verbose_name_plural = format_lazy(
            "{} – {}", source.related_model._meta.verbose_name, target.related_model._meta.verbose_name_plural
        )
        model.__str__ = _link_str(source.name, target.name)


def _link_str(source: str, target: str):
    def __str__(self) -> str:
        return f"{getattr(self, source)} – {getattr(self, target)}"

    return __str__
