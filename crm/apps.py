from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "Ambassadörsnätverket"

    def ready(self) -> None:
        from . import sqlite

        sqlite.install()
