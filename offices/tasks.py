"""The offices' background work: their data links. Beat sends, in public, the daily production (one task
per school a link covers, in that school's schema, which writes the school's records into the links'
outbox), the minute's sweep (one sender task per office with records due) and the nightly deletion of the
sent log's old records. The sender reads and writes public tables only."""

import datetime

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from offices.links.sending import link_send, links_sweep
from offices.links.services import records_purge
from tenants.models import School


@shared_task(ignore_result=True)
def office_link_send(office_id: int) -> int:
    return link_send(office_id)


@shared_task(ignore_result=True)
def office_links_sweep() -> int:
    """Every minute: dead workers' claims back to the queue, then a sender per office with records due."""
    offices = links_sweep()
    for office_id in offices:
        office_link_send.delay(office_id)
    return len(offices)


@shared_task(ignore_result=True)
def office_link_records_purge() -> int:
    """Every night: the sent log's records that ended more than OFFICE_LINK_RECORD_DAYS ago."""
    return records_purge(days=settings.OFFICE_LINK_RECORD_DAYS)


@shared_task(ignore_result=True)
def office_links_produce(days: list[str]) -> int:
    """In a school's schema: its records of `days` (ISO dates) into the outbox of the links covering it."""
    produce = import_string(settings.OFFICE_LINKS_PRODUCER)
    return sum(produce(school=connection.tenant, day=datetime.date.fromisoformat(day)) for day in days)


@shared_task(ignore_result=True)
def office_links_produce_all(days: list[str] | None = None) -> int:
    """Beat, after school: today and yesterday (corrections made the evening before) of every active school
    covered by an enabled link, one task per school in its schema. Returns the number of schools."""
    if days is None:
        today = timezone.localdate()
        days = [(today - datetime.timedelta(days=1)).isoformat(), today.isoformat()]
    schools = School.objects.filter(is_active=True, office_memberships__office__data_link__enabled=True)
    schema_names = sorted(set(schools.values_list("schema_name", flat=True)))
    for schema_name in schema_names:
        with schema_context(schema_name):
            office_links_produce.delay(days)
    return len(schema_names)
