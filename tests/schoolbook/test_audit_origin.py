"""The audit trail records where an action came from (address, browser, request id) without services being
handed the request: OriginMiddleware sets it once per request, audit_record reads it."""

from django.test import Client
from django_tenants.utils import schema_context

from schoolbook.audit.context import current_origin, origin
from schoolbook.audit.models import AuditEvent
from students.models import StaffMember
from tests.people_world import people_world


def test_an_action_through_a_page_records_address_browser_and_request_id(school):
    people = people_world(school)
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 (Android 14) Chrome/131")
    client.force_login(school.principal_a)
    response = client.post(
        f"/s/test-a/staff/{people.teacher.pk}/",
        {"full_name": "Vũ Giáo Viên", "roles": ["teacher"], "position": "Tổ trưởng"},
        headers={"X-Request-ID": "req-from-proxy-1"},
    )
    assert response.status_code == 302 and response["X-Request-ID"] == "req-from-proxy-1"
    with schema_context(school.school_a.schema_name):
        event = AuditEvent.objects.get(action="staff.edit")
        assert StaffMember.objects.get(pk=people.teacher.pk).position == "Tổ trưởng"
    assert (event.ip_address, event.user_agent, event.request_id) == (
        "203.0.113.7", "Mozilla/5.0 (Android 14) Chrome/131", "req-from-proxy-1",
    )  # fmt: skip


def test_a_request_without_an_id_gets_one_and_the_origin_ends_with_the_request(client, school):
    client.force_login(school.principal_a)
    first, second = client.get("/s/test-a/"), client.get("/s/test-a/")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]
    assert current_origin().address is None  # nothing leaks out of a request into the next code


def test_outside_a_request_the_origin_is_empty_unless_set_for_a_block():
    assert current_origin().address is None and current_origin().request_id == ""
    with origin(address="198.51.100.2", request_id="cli"):
        assert current_origin().address == "198.51.100.2"
    assert current_origin().address is None
