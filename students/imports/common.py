"""What the two roster imports (students with guardians, staff) share beyond the generic flow
(students.imports.flow): a report that can hold the classes the file names, finding or creating those
classes, and users and school affiliations made in bulk."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext

from accounts.models import User
from schoolbook.audit.models import AuditEvent
from schoolbook.audit.services import audit_record, client_ip
from students.imports.flow import Report, header_key
from tenants.models import SchoolAffiliation


@dataclass
class SchoolReport(Report):
    new_classes: dict = field(default_factory=dict)  # class_key → unsaved SchoolClass (ClassFinder)


def class_key(name: str) -> str:
    return header_key(name).replace(" ", "").upper()


# --- classes named by the file ---------------------------------------------------------------------------


class ClassFinder:
    """The current year's classes by the name a file gives ("6a1" = "6A1"). A name the year does not have
    becomes a new class (unsaved, kept in `report.new_classes`, listed in the preview and created on commit
    by `new_classes_create`) when its leading number is one of the school's grades; otherwise, or when the
    class is archived, the row gets a problem with the reason."""

    def __init__(self, report: SchoolReport):
        from students.models import GradeLevel, SchoolClass, SchoolYear

        self.report = report
        self.year = SchoolYear.objects.filter(is_current=True).first()
        self.grades = {grade.number: grade for grade in GradeLevel.objects.all()}
        self.classes = {
            class_key(c.name): c
            for c in SchoolClass.objects.filter(year=self.year).select_related(
                "grade", "homeroom_teacher__user"
            )
        }

    def find(self, name: str, line: int, column: str):
        from students.class_names import clean_name, leading_grade
        from students.models import SchoolClass

        key = class_key(name)
        school_class = self.classes.get(key) or self.report.new_classes.get(key)
        if school_class is not None and school_class.archived_at is None:
            return school_class
        if school_class is not None:
            reason = gettext("Lớp “%(name)s” đã lưu trữ.") % {"name": school_class.name}
        elif self.year is None:
            reason = gettext("Trường chưa có năm học hiện tại.")
        elif len(clean_name(name)) > 20:
            reason = gettext("Tên lớp dài tối đa 20 ký tự.")
        elif leading_grade(name) not in self.grades:
            reason = gettext(
                "Lớp “%(name)s” không có trong năm học hiện tại và không tạo được: tên lớp phải bắt đầu bằng "
                "một khối của trường (%(grades)s)."
            ) % {"name": name, "grades": ", ".join(map(str, sorted(self.grades)))}
        else:
            school_class = SchoolClass(
                name=clean_name(name), grade=self.grades[leading_grade(name)], year=self.year
            )
            self.report.new_classes[key] = school_class
            return school_class
        self.report.problem(line, column, name, reason)
        return None


def new_classes_create(report: SchoolReport, *, actor, write: bool) -> int:
    """Create the classes the file named that the year did not have (inside the import's transaction, so
    all or nothing); their objects, already held by the rows, get their ids. Returns how many."""
    from students.models import SchoolClass

    classes = list(report.new_classes.values())
    if write and classes:
        SchoolClass.objects.bulk_create(classes)
        audit_record(
            actor=actor,
            action="class.bulk_create",
            obj=classes[0].year,
            after={"created": [c.name for c in classes], "by_import": True},
        )
    return len(classes)


# --- users and affiliations in bulk ----------------------------------------------------------------------


def users_create(names: dict[str, str], *, actor) -> dict[str, User]:
    """What accounts.services.user_get_or_create does for one new person, in bulk (phone → full name): a
    user without a usable password (they log in with a one-time code) and a `user.create` audit event."""
    if not names:
        return {}
    new = []
    for phone, full_name in names.items():
        user = User(phone=phone, full_name=full_name)
        user.set_unusable_password()
        new.append(user)
    created = User.objects.bulk_create(new, batch_size=1000)
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    ip = client_ip()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(actor=actor, action="user.create", object_type=User._meta.label_lower,
                       object_id=str(user.pk), object_repr=str(user)[:200], after={"phone": user.phone},
                       ip_address=ip)
            for user in created
        ],
        batch_size=1000,
    )  # fmt: skip
    return {user.phone: user for user in created}


def affiliations_add(users: list[User], school, *, flag: str) -> None:
    """tenants.services.affiliation_add(is_guardian=True or is_staff=True) for many users (`flag` is
    "is_guardian" or "is_staff"): two or three queries."""
    existing = {a.user_id: a for a in SchoolAffiliation.objects.filter(school=school, user__in=users)}
    SchoolAffiliation.objects.bulk_create(
        [SchoolAffiliation(user=user, school=school, **{flag: True}) for user in users
         if user.pk not in existing],
        batch_size=1000,
    )  # fmt: skip
    SchoolAffiliation.objects.filter(pk__in=[a.pk for a in existing.values() if not getattr(a, flag)]).update(
        **{flag: True}
    )
