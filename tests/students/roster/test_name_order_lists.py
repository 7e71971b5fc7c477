"""Every list of people comes out in Vietnamese class-list order (schoolbook/name_order.py): the student list,
the class roster, the grade entry grid, the class results, the report cards, the roll call, the Excel export,
the staff list, the notice audience and the stored key itself on every write path."""

import importlib
import io

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from notices.audience import AudienceChoice, audience_resolve
from notices.models import Audience
from schoolbook.name_order import vietnamese_sort_key
from students.models import Guardian, StaffMember, Student
from tests.factories import guardian_link, staff_make
from tests.gradebook_world import gradebook_world

# The class list as a Vietnamese teacher writes it: by given name, then middle names, then family name, in
# the Vietnamese alphabet (a < ă < â, d < đ, u < ư), tones only between equal letters (Anh < Ánh).
# Sorting by the full name, or by the folded name, gives a different order.
CLASS_LIST = [
    "Trần An",
    "Lê Bá An",
    "Phạm Thị Anh",
    "Hoàng Thị Ánh",
    "Vũ Văn Ân",
    "Trần Văn Dương",
    "Lê Văn Đạt",
    "Nguyễn Thị Thu",
    "Lê Thị Thủy",
    "Mai Anh Thư",
]


@pytest.fixture
def lists(world):
    """School A: 6A1 (homeroom and Toán: Vũ Giáo Viên) with the class list enrolled back to front (codes
    HS0… in that order, so neither the code nor the insertion order is the expected one)."""
    with schema_context(world.school_a.schema_name):
        g = gradebook_world(
            world, students=CLASS_LIST[::-1], outsider="Học Sinh Lớp Khác", homeroom="teacher"
        )
        yield g


def _order(text: str, names=CLASS_LIST) -> list[str]:
    """The names in the order they first appear in `text` (each must appear)."""
    positions = {name: text.index(name) for name in names}
    return sorted(names, key=positions.__getitem__)


def _page(client, user, path) -> str:
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_student_list(client, lists):
    assert _order(_page(client, lists.world.principal_a, "/s/test-a/students/")) == CLASS_LIST


def test_class_roster(client, lists):
    assert _order(_page(client, lists.world.teacher_a, f"/s/test-a/classes/{lists.a1.pk}/")) == CLASS_LIST


def test_grade_entry_grid(client, lists):
    path = f"/s/test-a/grades/assignments/{lists.math.pk}/terms/{lists.term1.pk}/"
    assert _order(_page(client, lists.world.teacher_a, path)) == CLASS_LIST


def test_class_results(client, lists):
    path = f"/s/test-a/grades/classes/{lists.a1.pk}/results/?term={lists.term1.pk}"
    assert _order(_page(client, lists.world.teacher_a, path)) == CLASS_LIST


def test_report_cards_of_the_class(client, lists):
    path = f"/s/test-a/grades/classes/{lists.a1.pk}/terms/{lists.term1.pk}/report/"
    assert _order(_page(client, lists.world.principal_a, path)) == CLASS_LIST


def test_roll_call(client, lists):
    day = timezone.localdate().isoformat()
    path = f"/s/test-a/attendance/roll-call/{lists.a1.pk}/{day}/?session=morning"
    assert _order(_page(client, lists.world.teacher_a, path)) == CLASS_LIST


def test_excel_export(client, lists):
    client.force_login(lists.world.teacher_a)
    response = client.get(f"/s/test-a/grades/classes/{lists.a1.pk}/terms/{lists.term1.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content))["Toán"]
    cells = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell in CLASS_LIST]
    assert cells == CLASS_LIST


def test_staff_list(client, lists):
    staff_make(lists.world, "0900000071", "Dương Văn Bích")
    staff_make(lists.world, "0900000072", "Đỗ Thị Bích")
    # With the conftest's staff: Lê Quản Trị A, Hoàng Hiệu Trưởng, Vũ Giáo Viên. Equal given names (Bích):
    # by middle name, Thị before Văn, whatever the family name.
    expected = ["Lê Quản Trị A", "Đỗ Thị Bích", "Dương Văn Bích", "Hoàng Hiệu Trưởng", "Vũ Giáo Viên"]
    assert _order(_page(client, lists.world.admin_a, "/s/test-a/staff/"), expected) == expected


def test_guardians_of_a_notice_audience(lists):
    for n, name in enumerate(["Bùi Hòa", "Đào Thị Hoa", "Dương Thị Hoa"]):
        guardian_link(lists.students[n], f"091200000{n}", full_name=name)
    # Hoa before Hòa (ngang before huyền); the two Hoa by family name, d before đ.
    addressees = audience_resolve(
        AudienceChoice(audience=Audience.CLASSES, class_ids=frozenset({lists.a1.pk}))
    )
    assert [a.name for a in addressees] == ["Dương Thị Hoa", "Đào Thị Hoa", "Bùi Hòa"]


def test_every_write_path_keeps_the_key(lists):
    student = Student.objects.get(full_name="Trần An")
    student.full_name = "Trần Ánh"
    student.save(update_fields=["full_name"])  # the key follows a partial save too
    staff = StaffMember.objects.get(user=lists.world.teacher_a)
    staff.full_name = "Vũ Giáo  Viên"
    staff.save(update_fields=["full_name"])
    guardian = guardian_link(student, "0912345678", full_name="Ngô Thị Lan")
    for person in (student, staff, guardian):
        person.refresh_from_db()
        assert person.sort_key == vietnamese_sort_key(person.full_name) != ""
    assert Guardian.objects.get(pk=guardian.pk).sort_key == vietnamese_sort_key("Ngô Thị Lan")


def test_the_migration_fills_the_key_of_existing_rows(lists):
    from django.apps import apps

    fill = importlib.import_module("students.migrations.0003_sort_keys").fill
    Student.objects.update(sort_key="")
    StaffMember.objects.update(sort_key="")
    fill(apps, None)
    for person in [*Student.objects.all(), *StaffMember.objects.all()]:
        assert person.sort_key == vietnamese_sort_key(person.full_name) != ""
