"""Tasks run in the schema they were sent from, or not at all (schoolbook.celery.SchoolTask)."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from messaging.tasks import sweep_school
from schoolbook.celery import SchemaUnavailable, SchoolTask


def _run_as_worker(task, schema_name):
    """What the worker does after its task_prerun signal: the request carries the sender's schema header."""
    task.push_request(headers={"_schema_name": schema_name})
    try:
        return task()
    finally:
        task.pop_request()


def test_every_task_is_a_school_task():
    assert isinstance(sweep_school, SchoolTask)


def test_a_task_for_a_schema_that_does_not_exist_refuses_to_run_in_public(db):
    connection.set_schema_to_public()
    with pytest.raises(SchemaUnavailable, match="school_deleted_long_ago"):
        _run_as_worker(sweep_school, "school_deleted_long_ago")


def test_a_task_in_its_own_schema_runs(world):
    with schema_context(world.school_a.schema_name):
        assert _run_as_worker(sweep_school, world.school_a.schema_name) == {
            "held": 0,
            "stale": 0,
            "lost": 0,
            "fallback": 0,
        }
    connection.set_schema_to_public()
    assert _run_as_worker(sweep_school, "public")["stale"] == 0
