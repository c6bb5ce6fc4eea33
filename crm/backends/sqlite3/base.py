"""Django's SQLite backend, creating the database file's folder (by default VAR_DIR) on the first connection.

The folder is made where it is needed instead of when the settings are imported, so that loading the settings
never writes to the disk (the Docker image runs collectstatic in a read-only /app)."""

from __future__ import annotations

from pathlib import Path

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        name = str(conn_params.get("database", ""))
        if name and name != ":memory:" and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
