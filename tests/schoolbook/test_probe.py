"""The URL × role probe: every URL pattern of both URLconfs, walked from the resolver so
a new URL is covered without anyone remembering, × every role that must not reach school A's objects —
anonymous, a parent of another child, a teacher of another class, staff and a parent of another school — for
GET and POST.

The answer is 403/404/405 or the login page, never the target's content and never a 500; and nothing is
written (one fingerprint of the database — row count and highest id of every table of school A, school B and
the public schema — before and after all of a role's requests). A page a role may see for itself (its own
home, its own notices) is listed in OWN_PAGES with the reason; it may answer, but never shows the target.

Path parameters are filled with objects of school A (the target): `<int:pk>` by the path segment before it
(PK_BY_SEGMENT: "students/<int:pk>/" is the target student), other parameters by name (PARAMS), and KWARGS
overrides both for one URL name. A URL with a parameter none of these can fill fails test_every_url_is_probed
with the line to add."""

import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import ContactPoint, User
from attendance.gate.services import device_register
from attendance.models import AttendanceMark, GateEvent, LeaveRequest, Mark, RollCall, Session
from conversations.services import conversation_start, message_report
from grades.models import Score
from grades.rules.circular27 import Checkpoint
from notices.models import AnswerSheet, Notice, NoticeAttachment, Question, Status
from offices.links.models import DataLink, LinkRecord
from offices.models import EducationOffice, OfficeSchool, OfficeStaff, ReportRequest, ReportSubmission
from payments.ledger.services import Incoming, transaction_record
from payments.models import FeeReduction, Invoice, Payment, Receipt, ReceivingAccount
from payments.vnpay.services import vnpay_merchant_save
from schoolbook.sealed import seal
from students.models import (
    DayOff,
    GradeLevel,
    SchoolClass,
    SchoolYear,
    StaffMember,
    StudentGuardian,
    Subject,
    Term,
)
from tenants.models import TransferRequest
from tenants.routing import school_urlconf
from tests.factories import (
    assignment_make,
    fee_item_make,
    parent_make,
    round_invoice,
    round_make,
    staff_make,
    student_enrol,
)
from timetable.services import Cell, Grid, timetables_apply

# --- what may answer without a 404, and why ---------------------------------------------------------------

# Public machine endpoints and pages for everyone: not probed with the roles; their own authentication is
# tested in the files named.
PUBLIC = {
    "landing": "sends to the login page (test_public_pages_show_no_school_data below)",
    "healthz": "servers and queues for monitors, names no school (test_healthz; the test below)",
    "metrics": "counters for Prometheus, allowed networks or a token only, names no school (test_metrics)",
    "favicon": "static icon (test_favicon)",
    "login": "login page (test_login)",
    "code_request": "login by one-time code (test_otp)",
    "code_verify": "login by one-time code (test_otp)",
    "password_set": "after a one-time code login, for the session's own user (test_login)",
    "logout": "ends the caller's own session (test_login)",
    "set_language": "Django's language switch, a cookie of the caller's (test_i18n)",
    "service_worker": "sw.js must be public for browsers to register it (test_push_subscriptions)",
    "manifest": "the web app manifest, the same for everyone (test_pwa)",
    "offline": "the worker's offline page, stored without cookies: names nobody (test_pwa)",
    "push_receipt": "service worker reports a shown push by its own signed token (test_push_subscriptions)",
    "esms_receipt": "eSMS delivery receipts, authenticated by the URL token (test_messaging_receipts)",
    "zalo_webhook": "Zalo ZNS webhook, authenticated by its signature (test_gateways_zalo)",
    "zalo_school_webhook": "a school's own Zalo OA's webhook, signed by it (test_messaging_zalo_account)",
    "gate_events_api": "gate devices post with their own bearer token (test_gate)",
    "sepay_webhook": "a school's SePay webhook, authenticated by its API key (payments/feeds/test_webhooks)",
    "casso_webhook": "a school's Casso webhook, signed with its key (payments/feeds/test_webhooks)",
    "vnpay_ipn": "VNPay's IPN, authenticated by its signature (tests/payments/vnpay/test_ipn.py)",
}

# Pages about the signed-in user themself, which every signed-in role may open: they answer, but never show
# the target, and a POST to them changes only the caller's own session or account.
OWN_PAGES = {
    "home": "the user's own list of schools",
    "parent_messages": "sends a parent to their own school's conversations (or their children's cards)",
    "password_offer_dismiss": "hides the caller's own password offer",
    "notice_inbox": "the user's own notices across schools",
    "push_subscriptions": "the caller's own push subscriptions",
    "two_factor": "the caller's own authenticator setup",
    "devices": "the caller's own devices",
}

# Pages of school A that a role with a place in school A legitimately opens; they must not show the target.
ROLE_PAGES = {
    "parent_of_another_child": {
        "school_home": "the parent's own home in the school",
        "leave_parent_list": "the parent's own leave requests",
        "leave_request": "asks leave for the parent's own children only",
        "parent_fees": "the fees of the parent's own children",
        "conversation_inbox": "the parent's own conversations",
    },
    "teacher_of_another_class": {
        "school_home": "the teacher's own home in the school",
        "gradebook_home": "the teacher's own teaching assignments",
        "notice_list": "notices the teacher wrote or received",
        "notice_compose": "any teacher may write a notice (a manager approves it before it goes out)",
        "notice_estimate": "the compose form's estimate: counts of recipients and messages, no names",
        "notice_question_blank": "a blank question for the compose form, which any teacher may use",
        "attendance_home": "roll calls of the teacher's own classes",
        "leave_list": "leave requests of the teacher's own homeroom classes",
        "attendance_stats_day": "the school's attendance figures, open to every teacher",
        "attendance_stats_month": "the school's attendance figures, open to every teacher",
        "attendance_stats_limit": "the school's attendance figures, open to every teacher",
        "timetable_home": "sends a teacher to their own week",
        "timetable_mine": "the teacher's own lessons across their classes",
        "conversation_inbox": "the teacher's own conversations",
        "conversation_office_hours": "the teacher's own office hours",
    },
}

ROLES = [
    "anonymous",
    "parent_of_another_child",
    "teacher_of_another_class",
    "staff_of_another_school",
    "parent_of_another_school",
]

# --- how to fill path parameters with school A's objects ---------------------------------------------------

# The path segment just before `<int:pk>` → the target's attribute holding that object.
PK_BY_SEGMENT = {
    "staff": "staff",
    "students": "student",
    "years": "year",
    "days-off": "day_off",
    "classes": "school_class",
    "subjects": "subject",
    "assignments": "assignment",
    "scores": "score",
    "notices": "notice",
    "leave": "leave",
    "devices": "device",
    "review": "gate_event",
    "push": "push_subscription",
    "transfers": "transfer_in",
    "items": "fee_item",
    "reductions": "reduction",
    "rounds": "fee_round",
    "invoices": "invoice",
    "transactions": "bank_transaction",
    "payments": "payment",
    "receipts": "receipt",
    "reports": "report_submission",
    "conversations": "conversation",
    "messages": "chat_message",
}

# Other parameters by name → a function of the target.
PARAMS = {
    "class_pk": lambda t: t.school_class.pk,
    "term_pk": lambda t: t.term.pk,
    "link_pk": lambda t: t.link.pk,
    "attachment_pk": lambda t: t.attachment.pk,
    "checkpoint": lambda t: Checkpoint.MID_SEMESTER_I.value,
    "day": lambda t: t.today.isoformat(),
    "period": lambda t: t.today.isoformat(),
    "fmt": lambda t: "csv",
    "code": lambda t: t.school.code,
    "transfer_pk": lambda t: t.transfer_out.pk,
    "item_pk": lambda t: t.fee_option.pk,
    "sheet_pk": lambda t: t.sheet.pk,
}

# URL name → its kwargs, where the defaults above would not name the right object.
KWARGS: dict = {
    "office_dashboard": lambda t: {"code": t.office.code},
    "office_export": lambda t: {"code": t.office.code},
    "console_office": lambda t: {"code": t.office.code},
    "console_office_withdraw": lambda t: {"code": t.office.code, "school_code": t.school.code},
    "console_office_staff_remove": lambda t: {"code": t.office.code, "seat_id": t.office_seat.pk},
    "office_requests": lambda t: {"code": t.office.code},
    "office_request_new": lambda t: {"code": t.office.code},
    **{
        name: lambda t: {"code": t.office.code, "pk": t.report_request.pk}
        for name in ("office_request", "office_request_export")
    },
    **{
        name: lambda t: {"code": t.office.code, "pk": t.report_request.pk, "school_code": t.school.code}
        for name in ("office_submission", "office_submission_file")
    },
    "console_office_link": lambda t: {"code": t.office.code},
    "office_links": lambda t: {"code": t.office.code},
    "office_links_replay": lambda t: {"code": t.office.code},
    "sector_file": lambda t: {"kind": "students"},
    "office_staff": lambda t: {"code": t.office.code},
    "office_staff_remove": lambda t: {"code": t.office.code, "seat_id": t.office_seat.pk},
}

TARGET_STUDENT = "Lương Thị Mục Tiêu"
TARGET_PARENT = "Lương Văn Phụ Huynh Mục Tiêu"
TARGET_PARENT_PHONE = "0917770001"
TARGET_TEACHER = "Giáo Viên Mục Tiêu"
TARGET_NOTICE = "Thông báo riêng của lớp mục tiêu"
TARGET_LEAVE = "Lý do nghỉ riêng của học sinh mục tiêu"
TARGET_DEVICE = "Cổng mục tiêu"
TARGET_INCOMING = "Lương Văn Chuyển Đến"
TARGET_FEE = "Khoản thu mục tiêu"
TARGET_OFFICE = "Phòng Giáo dục mục tiêu"
TARGET_REPORT = "Thống kê mục tiêu"
TARGET_CHAT = "Tin nhắn riêng của phụ huynh mục tiêu"
# What the target's pages show and no refused answer may contain.
TARGET_MARKERS = (TARGET_STUDENT, TARGET_PARENT, "917770001", TARGET_TEACHER, TARGET_NOTICE, TARGET_LEAVE,
                  TARGET_DEVICE, "MT-001", TARGET_INCOMING, TARGET_FEE, TARGET_OFFICE,
                  TARGET_REPORT, TARGET_CHAT)  # fmt: skip


def target_build(world) -> SimpleNamespace:
    """School A's objects the probe aims at (inside school A's schema): class 6A1 (homeroom: another teacher,
    who teaches Toán there) with one student, her parent (who can sign in), a published notice with an
    attachment, a leave request, today's absence, a score, a gate device and event, and the parent's push
    subscription. teacher_a is the homeroom teacher of 6A2, with a child of her own class there."""
    t = SimpleNamespace(school=world.school_a, today=timezone.localdate())
    t.year = SchoolYear.objects.get(is_current=True)
    grade = GradeLevel.objects.get(number=6)
    t.term = Term.objects.filter(year=t.year).order_by("number").first()
    t.day_off = DayOff.objects.create(
        year=t.year, name="Nghỉ giữa kỳ mục tiêu", first_day=t.year.ends_on, last_day=t.year.ends_on
    )
    t.staff = staff_make(world, "0917770002", TARGET_TEACHER)
    t.school_class = SchoolClass.objects.create(
        name="6A1", grade=grade, year=t.year, homeroom_teacher=t.staff
    )
    own_class = SchoolClass.objects.create(
        name="6A2", grade=grade, year=t.year, homeroom_teacher=StaffMember.objects.get(user=world.teacher_a)
    )
    assignment_make(StaffMember.objects.get(user=world.teacher_a), own_class, "toan")
    student_enrol("MT-002", own_class, "Trần Văn Lớp Khác")
    t.assignment = assignment_make(t.staff, t.school_class, "toan")
    t.subject = Subject.objects.get(level="lower_secondary", code="toan")
    timetables_apply(
        actor=world.admin_a, school=world.school_a, starts_on=max(t.today, t.year.starts_on), source="grid",
        grids=[Grid(t.school_class, {(0, "morning", 1): Cell(t.subject, t.staff, "Phòng mục tiêu")})],
    )  # fmt: skip
    t.student = student_enrol("MT-001", t.school_class, TARGET_STUDENT, gender="female")
    t.parent = parent_make(world, t.student, TARGET_PARENT_PHONE, TARGET_PARENT)
    t.link = StudentGuardian.objects.get(student=t.student)
    t.score = Score.objects.create(
        student=t.student, subject=t.subject, term=t.term, column="TX1", value=9, updated_by=t.staff,
        updated_at=timezone.now(),
    )  # fmt: skip
    t.notice = Notice.objects.create(
        title=TARGET_NOTICE, body=TARGET_NOTICE, author=t.staff, status=Status.PUBLISHED,
        published_at=timezone.now(),
    )  # fmt: skip
    t.notice.classes.add(t.school_class)
    # It asks a question: the target student's sheet, not answered yet (the results list her).
    Question.objects.create(
        notice=t.notice, position=1, kind="yes_no", label="Đồng ý?", options=["Có", "Không"]
    )
    t.sheet = AnswerSheet.objects.create(notice=t.notice, student=t.student, school_class=t.school_class)
    (settings.MEDIA_ROOT / "muc-tieu.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    t.attachment = NoticeAttachment.objects.create(
        notice=t.notice, file="muc-tieu.pdf", original_name="muc-tieu.pdf", size=10,
        content_type="application/pdf",
    )  # fmt: skip
    t.leave = LeaveRequest.objects.create(
        student=t.student, requested_by=t.parent, start_date=t.today, end_date=t.today, reason=TARGET_LEAVE
    )
    roll_call = RollCall.objects.create(
        school_class=t.school_class, date=t.today, session=Session.MORNING, taken_by=t.staff
    )
    AttendanceMark.objects.create(roll_call=roll_call, student=t.student, mark=Mark.ABSENT_UNEXCUSED)
    t.device, _token = device_register(actor=world.admin_a, name=TARGET_DEVICE)
    t.gate_event = GateEvent.objects.create(
        device=t.device, event_id="probe-1", kind=GateEvent.Kind.ARRIVAL, person_ref="MT-404",
        occurred_at=timezone.now(),
    )  # fmt: skip
    t.push_subscription = ContactPoint.objects.create(
        user=t.parent, channel="push", gateway="webpush", label="Chrome mục tiêu",
        address='{"endpoint": "https://fcm.googleapis.com/fcm/send/probe", "keys": {}}',
    )  # fmt: skip
    # A transfer request of the target student to school B, and one from school B to school A.
    request = dict(
        date_of_birth=datetime.date(2014, 1, 1), gender="female", reason="Chuyển nhà", on_date=t.today
    )
    t.transfer_out = TransferRequest.objects.create(
        from_school=world.school_a, to_school=world.school_b, student_id=t.student.pk, student_code="MT-001",
        full_name=TARGET_STUDENT, **request,
    )  # fmt: skip
    t.transfer_in = TransferRequest.objects.create(
        from_school=world.school_b, to_school=world.school_a, student_id=999_999, student_code="B-MT",
        full_name=TARGET_INCOMING, **request,
    )  # fmt: skip
    # The school's fees: an item billed to the target student, a reduction with evidence, a generated round,
    # and the invoice paid by a bank transfer naming its code (a payment with its receipt),
    # part of it only: VNPay still takes the rest, so paying it is refused for who may not, not for want of
    # something owed or of a merchant.
    t.fee_item = fee_item_make(TARGET_FEE, 500_000)
    (settings.MEDIA_ROOT / "minh-chung.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    t.reduction = FeeReduction.objects.create(
        item=t.fee_item, student=t.student, kind="percent", value=50, reason=TARGET_FEE,
        evidence="minh-chung.pdf", requested_by=StaffMember.objects.get(user=world.admin_a),
    )  # fmt: skip
    t.fee_round = round_make(StaffMember.objects.get(user=world.admin_a), [t.fee_item], name=TARGET_FEE)
    round_invoice(world.admin_a, t.fee_round)
    t.invoice = Invoice.objects.get(student=t.student)
    ReceivingAccount.objects.create(bank_bin="970436", account_number="0011223344", account_name="TRUONG A")
    t.bank_transaction, _ = transaction_record(
        Incoming(source="sepay", provider_id="probe-1", amount=200_000, note=f"{t.invoice.code} MT-001",
                 occurred_at=timezone.now(), counter_account="0917770001")
    )  # fmt: skip
    t.payment = Payment.objects.get(transaction=t.bank_transaction)
    vnpay_merchant_save(actor=world.admin_a, tmn_code="PROBE001", hash_secret="PROBESECRET" * 3)
    t.receipt = Receipt.objects.get(payment=t.payment)
    # A voluntary item the target student may choose (the parent's option page).
    t.fee_option = fee_item_make("Câu lạc bộ mục tiêu", 100_000, compulsory=False, students=[t.student])
    # The education office covering school A, with a person of its own (none of the roles probed).
    t.office = EducationOffice.objects.create(
        code="phong-muc-tieu", name=TARGET_OFFICE, kind="district", province="Hà Nội", district="Đống Đa"
    )
    OfficeSchool.objects.create(office=t.office, school=t.school)
    t.office_seat = OfficeStaff.objects.create(office=t.office, user=User.objects.create_user("0917770009"))
    t.report_request = ReportRequest.objects.create(
        office=t.office,
        title=TARGET_REPORT,
        kind="statistics",
        deadline=t.today,
        created_by=t.office_seat.user,
    )
    t.report_submission = ReportSubmission.objects.create(
        request=t.report_request, school=t.school, status="submitted", figures={"students": 1}
    )
    # Its data link, with one record of the target student that the centre rejected (replayable).
    DataLink.objects.create(office=t.office, endpoint="https://ioc.example.vn/api", key_id="k",
                            secret_sealed=seal("a-secret-of-the-target-office"))  # fmt: skip
    LinkRecord.objects.create(
        office=t.office, school=t.school, kind="attendance_mark", record_id="test-a/attendance_mark/x",
        day=t.today, label="MT-001 · 6A1", key="0" * 32, data={"student_code": "MT-001"},
        produced_at=timezone.now(), queued_at=timezone.now(), status="rejected", answer=TARGET_OFFICE,
    )  # fmt: skip
    # The parent's conversation with the homeroom teacher about the target student, its message reported.
    t.chat_message = conversation_start(
        actor=t.parent, student=t.student, recipients=[t.staff.user_id], body=TARGET_CHAT, client_key="probe"
    )
    t.conversation = t.chat_message.conversation
    message_report(
        actor=t.staff.user,
        participant=t.conversation.participants.get(user=t.staff.user),
        message=t.chat_message,
        reason=TARGET_CHAT,
    )
    return t


# --- the URLconfs ---------------------------------------------------------------------------------------


def url_patterns(urlconf: str):
    """(name, route, parameter names) of every pattern, namespaces and includes followed."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else (
                    pattern.namespace or namespace)  # fmt: skip
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield name, prefix + str(pattern.pattern), list(pattern.pattern.converters)

    return list(walk(get_resolver(urlconf).url_patterns, "", None))


ALL_PATTERNS = [("public", *p) for p in url_patterns("schoolbook.urls_public")] + [
    ("school", *p) for p in url_patterns("schoolbook.urls_school")
]


def kwargs_for(name: str, route: str, params: list, target) -> dict:
    """The kwargs that aim `name` at the target, or an AssertionError saying what to add."""
    if name in KWARGS:
        return KWARGS[name](target)
    kwargs = {}
    for param in params:
        if param == "pk":
            segment = route.split("<", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            attribute = PK_BY_SEGMENT.get(segment)
            if attribute is None:
                raise AssertionError(
                    f"The URL probe cannot fill <pk> of URL {name!r} ({route}). Add its kwargs to KWARGS "
                    f"in tests/schoolbook/test_probe.py, e.g. {name!r}: lambda t: {{'pk': t.<object>.pk}} "
                    f"with an "
                    f"object of school A built in target_build(), or add {segment!r} to PK_BY_SEGMENT."
                )
            kwargs[param] = getattr(target, attribute).pk
        elif param in PARAMS:
            kwargs[param] = PARAMS[param](target)
        else:
            raise AssertionError(
                f"The URL probe cannot fill <{param}> of URL {name!r} ({route}). Add it to PARAMS in "
                f"tests/schoolbook/test_probe.py ({param!r}: lambda t: <a value aiming at school A's "
                f"target>), or the "
                f"whole URL to KWARGS ({name!r}: lambda t: {{...}}); if the URL is public by design, list "
                f"it in PUBLIC with the reason and the test file that tests its own authentication."
            )
    return kwargs


def probe_urls(target) -> list[tuple[str, str]]:
    """(name, path) of every probed URL, aimed at the target."""
    urls = []
    for conf, name, route, params in ALL_PATTERNS:
        if name in PUBLIC:
            continue
        kwargs = kwargs_for(name, route, params, target)
        urlconf = school_urlconf(target.school.code) if conf == "school" else "schoolbook.urls_public"
        urls.append((name, reverse(name, urlconf=urlconf, kwargs=kwargs)))
    return urls


# --- the database's fingerprint -------------------------------------------------------------------------

UNCOUNTED = {("public", "django_session")}  # force_login writes the session row before the probe


def fingerprint(schemas) -> dict:
    """Row count and highest id of every table of these schemas, in one query per schema."""
    found = {}
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(
                "SELECT t.table_name, EXISTS (SELECT 1 FROM information_schema.columns c WHERE "
                "c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.column_name = 'id') "
                "FROM information_schema.tables t WHERE t.table_schema = %s AND t.table_type = 'BASE TABLE'",
                [schema],
            )
            tables = [
                (table, has_id) for table, has_id in cursor.fetchall() if (schema, table) not in UNCOUNTED
            ]
            parts = [
                f'SELECT \'{table}\', count(*), {"max(id)" if has_id else "NULL"} FROM "{schema}"."{table}"'
                for table, has_id in tables
            ]
            cursor.execute(" UNION ALL ".join(parts))
            found.update({(schema, table): (count, top) for table, count, top in cursor.fetchall()})
    return found


# --- the probe ---------------------------------------------------------------------------------------------


def _user(world, role):
    return {
        "anonymous": None,
        "parent_of_another_child": world.parent,
        "teacher_of_another_class": world.teacher_a,
        "staff_of_another_school": world.staff_b,
        "parent_of_another_school": world.outsider_parent,
    }[role]


def _refused(response) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    return response.status_code == 302 and response["Location"].startswith("/login/?next=")


def _shows_target(response) -> list[str]:
    if response.get("Content-Type", "").startswith(("text/", "application/json")) and not response.streaming:
        text = response.content.decode(errors="replace")
        return [marker for marker in TARGET_MARKERS if marker in text]
    return []


@pytest.fixture
def target(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with schema_context(world.school_a.schema_name):
        yield target_build(world)


def _post_data(t) -> dict:
    """A POST that names the target everywhere a form could look for it."""
    ids = {"student": t.student.pk, "student_id": t.student.pk, "school_class": t.school_class.pk,
           "class": t.school_class.pk, "guardian": t.link.guardian_id, "notice": t.notice.pk,
           "term": t.term.pk, "subject": t.subject.pk, "teacher": t.staff.pk}  # fmt: skip
    return {**ids, "phone": "0917779999", "full_name": "Kẻ Tấn Công", "reason": "probe", "confirm": "1",
            "action": "approve", "decision": "approve", "start_date": t.today.isoformat(),
            "end_date": t.today.isoformat(), "title": "probe", "body": "probe"}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_school_a_target(world, target, role):
    user = _user(world, role)
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    allowed = {} if user is None else {**OWN_PAGES, **ROLE_PAGES.get(role, {})}
    # The caller's own pages first: they may write to the caller's own account (a visit, a 2FA secret being
    # set up), so the fingerprint is taken after them and covers every other request.
    urls = sorted(probe_urls(target), key=lambda url: url[0] not in OWN_PAGES or user is None)
    schemas = ("public", world.school_a.schema_name, world.school_b.schema_name)
    before = None
    problems = []
    data = _post_data(target)
    for name, path in urls:
        if before is None and (name not in OWN_PAGES or user is None):
            connection.set_schema_to_public()
            before = fingerprint(schemas)
        for method in ("get", "post"):
            response = getattr(client, method)(path, data) if method == "post" else client.get(path)
            answer = f"{method.upper()} {path} ({name}) → {response.status_code}"
            if response.status_code >= 500:
                problems.append(f"{answer}: server error")
            elif shown := _shows_target(response):
                problems.append(f"{answer}: shows the target ({', '.join(shown)})")
            elif name not in allowed and not _refused(response):
                location = response.get("Location", "")
                problems.append(
                    f"{answer}{' to ' + location if location else ''}: neither refused nor listed"
                )
    connection.set_schema_to_public()
    after = fingerprint(schemas)
    if user is not None:  # still signed in as the role: no own page logged it out half-way
        assert client.session.get("_auth_user_id") == str(user.pk)
    changed = {table: (before.get(table), after.get(table)) for table in before.keys() | after.keys()
               if before.get(table) != after.get(table)}  # fmt: skip
    assert not problems, "\n".join(problems)
    assert not changed, f"{role}'s requests wrote to the database: {changed}"


def test_every_url_is_probed_and_every_list_names_real_urls():
    """Every pattern's parameters can be filled (or the failure says what to add), and the lists above name
    only URLs that exist, so none of them hides a renamed page."""
    names = {name for _conf, name, _route, _params in ALL_PATTERNS}
    listed = set(PUBLIC) | set(OWN_PAGES) | set(KWARGS) | {n for pages in ROLE_PAGES.values() for n in pages}
    assert listed <= names, f"listed but no such URL: {sorted(listed - names)}"
    assert len(ALL_PATTERNS) > 100
    objects = [*PK_BY_SEGMENT.values(), "term", "link", "attachment", "transfer_out", "fee_option",
               "office_seat", "sheet"]  # fmt: skip
    placeholder = SimpleNamespace(
        **{attribute: SimpleNamespace(pk=1) for attribute in objects},
        today=datetime.date(2026, 1, 1),
        school=SimpleNamespace(code="test-a"),
        office=SimpleNamespace(code="phong-muc-tieu"),
        report_request=SimpleNamespace(pk=1),
    )
    for _conf, name, route, params in ALL_PATTERNS:
        if name not in PUBLIC:
            kwargs_for(name, route, params, placeholder)


# The target's own readers see it, by the same URLs and markers: so the probe's URLs name real objects of
# school A and its markers would catch a page that showed them to someone else.
CONTROLS = {
    "admin": ["class_detail", "student_detail", "staff_edit", "guardian_edit", "class_results",
              "cell_history", "report_card", "notice_detail", "notice_report", "notice_results",
              "leave_detail", "attendance_stats_class", "fee_invoice", "fee_round", "fee_reductions",
              "fee_receipt"],
    "parent": ["student_detail", "student_grades", "student_attendance", "leave_detail", "vnpay_start",
               "parent_invoice", "fee_receipt", "conversation_child", "conversation_detail"],
}  # fmt: skip


def test_the_targets_own_readers_see_what_the_probe_looks_for(world, target):
    urls = dict(probe_urls(target))
    for reader, user in (("admin", world.admin_a), ("parent", target.parent)):
        client = Client()
        client.force_login(user)
        for name in CONTROLS[reader]:
            response = client.get(urls[name])
            assert response.status_code == 200, (reader, name)
            assert _shows_target(response), (reader, name)


# /metrics answers the test client because it comes from loopback (METRICS_ALLOWED_NETWORKS).
PAGES_FOR_EVERYONE = [
    "landing", "healthz", "metrics", "favicon", "login", "code_request", "service_worker", "manifest",
    "offline",
]  # fmt: skip


def test_public_pages_show_no_school_data(world, target):
    client = Client()
    for name in PAGES_FOR_EVERYONE:
        response = client.get(reverse(name, urlconf="schoolbook.urls_public"), follow=True)
        assert response.status_code == 200, name
        assert not _shows_target(response), name
