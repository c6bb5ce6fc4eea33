# The production image: gunicorn serves crm.wsgi on port 8000; the same image runs the Celery worker and beat
# (see docker-compose.yml). Build: docker build -t ambassadorsnatverket .
# Debian 12 (bookworm), the release the image was written and tested for; a newer one is a deliberate change.
FROM python:3.11-slim-bookworm

# PYTHONPATH: the code runs from its one copy in /app, beside templates/ and locale/ (BASE_DIR is /app);
# pip installs the dependencies only.
# VAR_DIR: the Celery beat schedule (and, without PostgreSQL/Redis, the SQLite file and the broker); the only
# folder the application writes to. Static files are collected into /app/staticfiles when the image is built.
# WEB_CONCURRENCY: the number of gunicorn workers (gunicorn.conf.py, which also sets a 300-second timeout).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=crm.settings \
    VAR_DIR=/app/var \
    WEB_CONCURRENCY=3

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes. `pip install .` installs
# the production dependencies only (no dev extras) and none of the code (pyproject.toml: packages = []).
COPY pyproject.toml ./
RUN pip install . && rm -rf build *.egg-info

# The project itself, owned by root, its one copy: the application cannot change its own code.
COPY . .

# Static files, collected as root into /app/staticfiles (read-only for the app). The settings are loaded in
# development mode for this one step, so that it needs no secret key or site URL; nothing of it stays in the image.
RUN DJANGO_DEBUG=1 python manage.py collectstatic --noinput

# A non-root user owns var/, and only var/ (the compose file mounts a named volume there; a new volume copies
# this ownership).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app \
    && mkdir -p "$VAR_DIR" \
    && chown -R app:app "$VAR_DIR"
USER app

EXPOSE 8000
# Workers and timeout: gunicorn.conf.py, read from /app; it also runs Django's system checks before starting.
CMD ["gunicorn", "crm.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
