"""The composition layer's background work: the education offices' summary of each school
(schoolbook.office_summaries). Beat sends the two fan-outs in public; each sends one refresh per school,
which gets the school's id, enters that school's schema alone, and writes that school's row."""

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context

from schoolbook import office_summaries
from tenants.models import School


@shared_task(ignore_result=True)
def office_summary_refresh(school_id: int) -> bool:
    """One school's summary; nothing for a school suspended or deleted since the task was sent."""
    school = School.objects.filter(pk=school_id, is_active=True).first()
    if school is None:
        return False
    office_summaries.summary_refresh(school=school)
    return True


def _refresh_each(school_ids) -> int:
    # Sent from public whoever calls: the task enters the school's schema itself, from the id.
    with schema_context(get_public_schema_name()):
        for school_id in school_ids:
            office_summary_refresh.delay(school_id)
    return len(school_ids)


@shared_task(ignore_result=True)
def office_summaries_refresh_all() -> int:
    """Nightly: every active school's summary (a new day's figures even where nothing changed)."""
    return _refresh_each(list(School.objects.filter(is_active=True).values_list("pk", flat=True)))


@shared_task(ignore_result=True)
def office_summaries_refresh_changed() -> int:
    """Every minute: the schools whose figures' tables changed since the last run, one refresh each."""
    schemas = office_summaries.changed_take()
    if not schemas:
        return 0
    active = School.objects.filter(schema_name__in=schemas, is_active=True)
    return _refresh_each(list(active.values_list("pk", flat=True)))
