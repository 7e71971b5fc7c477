"""The signed-in user is read from Redis on every request (accounts.backends), and every change to the row
(a password change, a deactivation, a new name) takes effect at the next request of every session."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.services import password_set
from tests.conftest import TEST_PASSWORD


def _signed_in(phone: str) -> Client:
    client = Client()
    response = client.post("/login/", {"phone": phone, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def _user_reads(client, path="/home/") -> tuple[int, int]:
    """(status of GET path, queries it made on the users' table)."""
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, sum('FROM "accounts_user"' in query["sql"] for query in queries.captured_queries)


def test_the_user_row_is_read_once_then_from_the_cache(world):
    client = _signed_in("0900000014")
    assert _user_reads(client) == (200, 1)
    assert _user_reads(client) == (200, 0)
    assert _user_reads(client, "/s/test-a/") == (200, 0)


def test_a_password_change_signs_out_every_other_session_at_once(world):
    mine, other = _signed_in("0900000014"), _signed_in("0900000014")
    assert _user_reads(other) == (200, 1)
    assert _user_reads(other) == (200, 0)  # cached
    password_set(user=User.objects.get(phone="+84900000014"), password="Mật-khẩu-mới-2026")
    response = other.get("/home/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    # This one too: only the password page itself keeps its session (update_session_auth_hash).
    assert mine.get("/home/").status_code == 302


def test_a_deactivated_user_is_signed_out_at_once(world):
    client = _signed_in("0900000014")
    assert _user_reads(client) == (200, 1)
    user = User.objects.get(phone="+84900000014")
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get("/s/test-a/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_changed_name_shows_at_the_next_request(world):
    client = _signed_in("0900000014")
    assert "Đinh Phụ Huynh A" in client.get("/home/").content.decode()
    user = User.objects.get(phone="+84900000014")
    user.full_name = "Đinh Phụ Huynh Đổi Tên"
    user.save()
    assert "Đinh Phụ Huynh Đổi Tên" in client.get("/home/").content.decode()
