"""Hourly: expired import previews (students.imports.flow) are deleted in every school, one task per
school."""

from celery import shared_task

from students.imports.flow import previews_clean
from tenants.tasks import for_each_school


@shared_task(ignore_result=True)
def previews_clean_all() -> int:
    """Beat, in public: one task per school (suspended ones too: their files expire as well)."""
    return for_each_school(previews_clean_school, active_only=False)


@shared_task(ignore_result=True)
def previews_clean_school() -> int:
    """In the school's schema: the expired previews; returns how many were deleted."""
    return previews_clean()
