"""`manage.py seed_demo --schools N --students-per-school M`."""

import io
import random
import unicodedata
from collections import Counter

from django.core.management import call_command
from django.db.models import Count
from django_tenants.utils import schema_context

from accounts.models import User
from messaging.models import Message
from notices.models import Notice, NoticeRecipient
from offices.models import EducationOffice
from payments.models import BankTransaction, Invoice, InvoiceState, Payment, Receipt
from schoolbook.management.commands.seed_demo import class_layout, guardian_phone, plan_roster
from schoolbook.phones import normalize_phone
from students.models import (
    Enrolment,
    Guardian,
    SchoolClass,
    StaffMember,
    Student,
    StudentGuardian,
    TeachingAssignment,
)
from tenants.models import School, SchoolAffiliation


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def roster_counts(school: School) -> dict[str, int]:
    with schema_context(school.schema_name):
        return {
            "students": Student.objects.count(),
            "enrolments": Enrolment.objects.count(),
            "classes": SchoolClass.objects.count(),
            "guardians": Guardian.objects.count(),
            "links": StudentGuardian.objects.count(),
            "staff": StaffMember.objects.count(),
            "assignments": TeachingAssignment.objects.count(),
        }


def test_class_layout_is_about_forty_per_class_over_the_grades():
    assert class_layout([6, 7, 8, 9], 80) == {"6A1": 6, "7A1": 7}
    layout = class_layout([6, 7, 8, 9], 3000)
    assert len(layout) == 75 and "6A19" in layout and "9A18" in layout
    assert class_layout([1, 2, 3, 4, 5], 10) == {"1A1": 1}


def test_plan_is_deterministic_with_realistic_names_and_families():
    def plan(seed):
        phones = iter(range(1, 100_000))
        return plan_roster(
            rng=random.Random(seed), grades=[6, 7, 8, 9], students=400, first_year=2025,
            next_phone=lambda: guardian_phone(next(phones)),
        )  # fmt: skip

    first, again, other = plan(1), plan(1), plan(2)
    assert first == again and first != other
    sizes = Counter(student.class_name for student in first.students)
    assert len(sizes) == 10 and all(39 <= size <= 41 for size in sizes.values())
    for student in first.students:
        assert unicodedata.is_normalized("NFC", student.full_name) and len(student.full_name.split()) == 3
        grade = first.classes[student.class_name]
        assert student.date_of_birth.year == 2025 - grade - 6  # grade 6 in 2025-2026: born in 2013
    assert len({s.code for s in first.students}) == 400
    phones = [g.phone for family in first.families for g in family]
    assert len(phones) == len(set(phones))  # one number per person
    assert all(normalize_phone(phone).is_mobile for phone in phones)
    children = Counter(student.family for student in first.students)
    assert 20 <= sum(1 for n in children.values() if n == 2) <= 60  # about one family in eight


def test_seed_two_schools_with_siblings_and_parents_in_both(world):
    output = seed(schools=2, students_per_school=100, seed=7)
    demo, primary = School.objects.get(code="thcs-demo"), School.objects.get(code="th-demo-2")
    assert primary.levels == ["primary"]
    for school, grades in ((demo, {6, 7}), (primary, {1, 2})):
        counts = roster_counts(school)
        assert counts["students"] == counts["enrolments"] == 100
        assert counts["classes"] == 2 and counts["links"] >= 100
        with schema_context(school.schema_name):
            assert {c.grade.number for c in SchoolClass.objects.select_related("grade")} == grades
            assert not SchoolClass.objects.filter(homeroom_teacher__isnull=True).exists()
            for student in Student.objects.all():
                assert unicodedata.is_normalized("NFC", student.full_name)
                assert student.full_name_folded.isascii()
            for guardian in Guardian.objects.select_related("user"):
                assert normalize_phone(guardian.phone).e164 == guardian.phone
                assert guardian.user.phone == guardian.phone
            # every student has exactly one primary contact; siblings share guardians
            assert StudentGuardian.objects.filter(is_primary_contact=True).count() == 100
            siblings = Guardian.objects.annotate(n=Count("student_links")).filter(n__gte=2)
            assert siblings.exists()
            guardian_users = set(Guardian.objects.values_list("user_id", flat=True))
            # fees: one invoice per student, most paid through the ledger, a few transfers left unmatched
            assert Invoice.objects.count() == 100
            assert Invoice.objects.filter(state=InvoiceState.PAID).count() >= 40
            assert BankTransaction.objects.filter(status=BankTransaction.Status.UNMATCHED).count() >= 3
            assert Receipt.objects.count() == Payment.objects.count() > 0
        affiliated = set(
            SchoolAffiliation.objects.filter(school=school, is_guardian=True).values_list(
                "user_id", flat=True
            )
        )
        assert guardian_users <= affiliated
    both = User.objects.filter(affiliations__school=demo, affiliations__is_guardian=True).filter(
        affiliations__school=primary
    )
    assert both.exists()  # parents with children in two schools
    with schema_context(primary.schema_name):
        assert Guardian.objects.filter(phone=both.first().phone).exists()
    assert "parent, 2 schools" in output and "principal" in output and "accountant" in output


def test_rerun_does_not_duplicate(world):
    seed(schools=2, students_per_school=45, seed=3)
    schools = School.objects.filter(code__in=["thcs-demo", "th-demo-2"])
    before = {school.code: roster_counts(school) for school in schools}
    users = User.objects.count()
    output = seed(schools=2, students_per_school=45, seed=3)
    assert output.count("already has students") == 2
    assert {school.code: roster_counts(school) for school in schools} == before
    assert User.objects.count() == users


def test_default_is_the_demo_school_with_two_classes(world):
    output = seed()
    school = School.objects.get(code="thcs-demo")
    counts = roster_counts(school)
    assert (counts["students"], counts["classes"]) == (80, 2)
    assert counts["staff"] >= 2 + 12  # admin, principal, a teacher per subject
    for label in ("platform admin", "district office", "school admin", "principal", "homeroom 6A1", "parent"):
        assert label in output
    # The district office of Ba Đình covers the demo school, and its specialist signs in to it.
    office = EducationOffice.objects.get(code="phong-ba-dinh")
    assert list(office.memberships.values_list("school__code", flat=True)) == ["thcs-demo"]
    assert office.staff.get().user.phone == "+84912000009"
    # Two published notices (a class's parent meeting, the grade's exam schedule), one message per guardian.
    with schema_context(school.schema_name):
        notices = Notice.objects.filter(status="published").order_by("pk")
        assert [(n.category, n.audience) for n in notices] == [
            ("parent_meeting", "classes"),
            ("exam_schedule", "grades"),
        ]
        for notice in notices:
            people = NoticeRecipient.objects.filter(notice=notice).count()
            assert people > 0 and Message.objects.filter(reference=notice.reference).count() == people
    assert School.objects.filter(code__contains="demo").count() == 1
