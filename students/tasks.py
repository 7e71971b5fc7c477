"""Hourly: expired import previews (students.previews) are deleted in every school."""

from celery import shared_task
from django_tenants.utils import schema_context

from students.previews import previews_clean
from tenants.models import School


@shared_task(ignore_result=True)
def previews_clean_all() -> int:
    """In every school's schema, the expired previews; returns how many were deleted."""
    deleted = 0
    for schema_name in School.objects.values_list("schema_name", flat=True):
        with schema_context(schema_name):
            deleted += previews_clean()
    return deleted
