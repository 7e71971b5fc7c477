"""Fee reminders (payments.reminders): before the due date and when overdue, to the guardians who receive
notifications, with the amount, due date, invoice code and the invoice's link; once per invoice and step,
also when two runs race (real PostgreSQL, two connections); held by quiet hours through the real pipeline
(the local eSMS fake gets it after the sweep); the daily beat task fans out to every school."""

import datetime
import random
import threading
from uuid import uuid4

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.models import Delivery, Message, MessagingSettings
from messaging.pipeline.services import deliveries_send, deliveries_sweep
from payments.codes import INVOICE, code_make
from payments.ledger.services import state_for
from payments.models import CollectionRound, FeeItem, Invoice, InvoiceState, Reminder
from payments.reminders.services import PURPOSE, reminders_send
from payments.tasks import fee_reminders, fee_reminders_school
from students.models import Enrolment, GradeLevel, Guardian, SchoolClass, SchoolYear, StaffMember, Student
from tests.conftest import wait_for
from tests.factories import guardian_link, money_receive, student_enrol
from tests.fakes.sms_providers import FakeEsms
from tests.payments.fees_world import Fees

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def fees(school):
    return Fees(school)


def reminders():
    return list(Message.objects.filter(purpose=PURPOSE).order_by("pk"))


@pytest.mark.django_db
def test_before_the_due_date_and_when_overdue_each_once(fees):
    Invoice.objects.filter(pk=fees.an_invoice.pk).update(due_on=days(3))
    Invoice.objects.filter(pk=fees.em_invoice.pk).update(due_on=days(-1))
    Invoice.objects.filter(pk=fees.binh_invoice.pk).update(due_on=days(5))  # not yet
    guardian_link(fees.an, "0916000002", full_name="Nguyễn Văn Bố", notifications=False)
    assert reminders_send() == 2
    before, overdue = reminders()
    assert before.recipient == overdue.recipient == "Nguyễn Thị Mẹ"  # the father asked for no messages
    assert "Nguyễn Văn An" in before.body and fees.an_invoice.code in before.body
    assert "1.134.520 đ" in before.body and f"hạn nộp {days(3):%d/%m/%Y}" in before.body
    assert f"{settings.SITE_URL}/s/test-a/fees/my/invoices/{fees.an_invoice.pk}/" in before.body
    assert before.body.startswith("Trường THCS Thử Nghiệm A:")
    assert "đã quá hạn nộp" in overdue.body and fees.em_invoice.code in overdue.body
    assert before.link == f"{settings.SITE_URL}/s/test-a/fees/my/"
    assert reminders_send() == 0  # the same day again: nothing
    steps = set(Reminder.objects.values_list("invoice_id", "step"))
    assert steps == {(fees.an_invoice.pk, "before_due"), (fees.em_invoice.pk, "overdue")}
    # Days later An's invoice is overdue too: its own step, once; Bình's is now due within three days.
    assert reminders_send(today=days(5)) == 2
    assert reminders_send(today=days(5)) == 0
    assert Reminder.objects.filter(invoice=fees.an_invoice).count() == 2
    assert Reminder.objects.filter(invoice=fees.binh_invoice, step="before_due").exists()


@pytest.mark.django_db
def test_nothing_for_paid_cancelled_or_fully_exempted_invoices(fees):
    money_receive(fees.an_invoice.total, fees.an_invoice.code)
    Invoice.objects.filter(pk=fees.em_invoice.pk).update(state=InvoiceState.CANCELLED)
    Invoice.objects.filter(pk=fees.binh_invoice.pk).update(total=0)  # every line waived
    Invoice.objects.update(due_on=days(-2))
    assert reminders_send() == 0 and not Reminder.objects.exists()


@pytest.mark.django_db
def test_quiet_hours_hold_reminders_until_the_sweep_after_they_end(
    fees, published, django_capture_on_commit_callbacks
):
    Invoice.objects.filter(pk=fees.an_invoice.pk).update(due_on=days(2))
    now = timezone.localtime()
    with FakeEsms() as esms, override_settings(SMS_GATEWAY="esms", GATEWAYS={"esms": esms.settings()}):
        MessagingSettings.objects.update(
            channel_order=["sms"],
            quiet_hours_start=(now - datetime.timedelta(hours=1)).time(),
            quiet_hours_end=(now + datetime.timedelta(hours=1)).time(),
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send() == 1
        (delivery,) = Delivery.objects.filter(message__purpose=PURPOSE)
        assert now < delivery.not_before <= now + datetime.timedelta(hours=1)
        assert published == []  # held: no task until the window ends
        with django_capture_on_commit_callbacks(execute=True):
            assert deliveries_sweep(delivery.not_before - datetime.timedelta(seconds=1))["held"] == 0
            assert deliveries_sweep(delivery.not_before)["held"] == 1
        assert [name for name, *_ in published] == ["messaging.tasks.deliver_batch"]
        deliveries_send([delivery.pk])
        (sms,) = esms.accepted.values()
    assert sms["Phone"].endswith("916000001")
    assert fees.an_invoice.code in sms["Content"] and "1.134.520" in sms["Content"]
    assert Delivery.objects.get(pk=delivery.pk).status == "sent"


@pytest.mark.django_db
def test_the_daily_beat_task_fans_out_to_every_school(world, published):
    with schema_context("public"):
        assert fee_reminders() == 2
    sent = sorted((name, schema) for name, _, schema, _ in published)
    assert sent == [
        ("payments.tasks.fee_reminders_school", "school_test_a"),
        ("payments.tasks.fee_reminders_school", "school_test_b"),
    ]
    schedule = settings.CELERY_BEAT_SCHEDULE["payments-fee-reminders"]
    assert schedule["task"] == "payments.tasks.fee_reminders"
    with schema_context(world.school_a.schema_name):
        assert fee_reminders_school.run() == 0  # no invoices in the session's school A


# --- two runs at once: committed rows, two connections ----------------------------------------------------


@pytest.fixture
def committed_invoices(django_db_setup, django_db_blocker):
    """Committed in school A (each run must see the other's commit): three students of a new class, each
    with a guardian who gets messages and an open invoice due in two days. Removed afterwards."""
    tag = uuid4().hex[:6]
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        year = SchoolYear.objects.get(is_current=True)
        school_class = SchoolClass.objects.create(
            name=f"6R-{tag}", grade=GradeLevel.objects.get(number=6), year=year
        )
        item = FeeItem.objects.create(year=year, name=f"Tiền ăn {tag}", amount=400_000, unit="month")
        round_ = CollectionRound.objects.create(
            year=year,
            name=f"Đợt {tag}",
            due_on=days(2),
            created_by=StaffMember.objects.order_by("pk").first(),
        )
        invoices = []
        for n in range(3):
            child = student_enrol(f"R-{tag}-{n}", school_class, f"Phạm Con {n}")
            guardian_link(child, "0918" + "".join(random.choices("0123456789", k=6)))
            invoice = Invoice.objects.create(
                round=round_, student=child, due_on=days(2), total=400_000,
                state=state_for(400_000, 0),
            )  # fmt: skip
            invoice.code = code_make(INVOICE, invoice.pk)
            invoice.save(update_fields=["code"])
            invoices.append(invoice)
    yield invoices
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        students = [invoice.student_id for invoice in invoices]
        Message.objects.filter(purpose=PURPOSE).delete()
        Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).delete()  # reminders with them
        round_.delete()
        item.delete()
        Guardian.objects.filter(student_links__student_id__in=students).delete()
        Enrolment.objects.filter(student_id__in=students).delete()
        Student.objects.filter(pk__in=students).delete()
        school_class.delete()


def test_two_runs_at_once_send_each_reminder_once(committed_invoices, django_db_blocker):
    """The first run claims and holds its transaction open until the second run is waiting on its rows;
    then it commits, and the second claims nothing."""
    claimed = threading.Event()
    counts, errors = {}, []

    def waiting_on_a_lock() -> bool:
        """Another session of the test database waits on a lock (the second run's claim). Asked from inside
        the first run's transaction, whose statistics snapshot must be cleared to see the change."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0] > 0

    def first():
        try:
            with schema_context("school_test_a"), transaction.atomic():
                counts["first"] = reminders_send()
                claimed.set()
                wait_for(waiting_on_a_lock, timeout=10)
        except Exception as error:  # reported below: a thread's exception is otherwise lost
            errors.append(error)
            claimed.set()
        finally:
            connection.close()

    def second():
        claimed.wait(10)
        try:
            with schema_context("school_test_a"):
                counts["second"] = reminders_send()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors, errors
        assert counts == {"first": 3, "second": 0}
        with schema_context("school_test_a"):
            ids = [invoice.pk for invoice in committed_invoices]
            assert Reminder.objects.filter(invoice_id__in=ids).count() == 3
            assert Message.objects.filter(purpose=PURPOSE).count() == 3
        connection.close()
