"""The app's own settings, plus a minimal view (/bench/minimal/) for the signup benchmark's baseline, served by the
same gunicorn process as the real pages. Used only by `python -m tests.bench`."""

from crm.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.minimal_urls"
