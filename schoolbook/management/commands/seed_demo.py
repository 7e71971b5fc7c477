"""Demo data for `make run`: a platform admin, demo schools with their admin and principal, teachers,
classes of about 40 students with realistic Vietnamese names, their guardians, and semester I of the
gradebook of secondary classes (assessment plans, every score, conduct: grades.demo.gradebook_seed).

    manage.py seed_demo [--schools 1] [--students-per-school 80] [--seed 2026]

Passwords are generated on every run and printed (there are no default passwords); the data itself is
created once and reused: a school that already has students is left as it is. The roster is planned first
(`plan_roster`, pure Python, deterministic for a seed) and then written with bulk inserts (`roster_write`),
which the roster benchmark reuses for its 3,000-student school.

Families: each student has one or two guardians (father, mother, sometimes a grandparent) with unique
mobile numbers; about one family in eight has two children in the same school (siblings share guardians),
and with two schools or more about one family in twenty of a school also has a child in the previous school
(a parent who sees two schools after one login)."""

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from grades.demo import gradebook_seed
from notices.demo import notices_seed
from offices.models import EducationOffice
from offices.services import office_create, office_staff_add
from payments.demo import fees_seed
from schoolbook.audit.services import audit_record
from schoolbook.onboarding import school_onboard
from schoolbook.text import fold, nfc
from students.catalogue import GRADES
from students.models import (
    Enrolment,
    GradeLevel,
    Guardian,
    Relationship,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentGuardian,
    Subject,
    TeachingAssignment,
)
from students.services import school_year_bounds, staff_add
from tenants.models import School, SchoolAffiliation

DEMO_SCHOOL = {
    "code": "thcs-demo",
    "name": "Trường THCS Chu Văn An (demo)",
    "levels": ["lower_secondary"],
    "province": "Hà Nội",
    "district": "Ba Đình",
    "address": "10 Thụy Khuê",
    "phone": "024 3823 4567",
    "email": "",
    "admin_name": "Nguyễn Thị Lan",
    "admin_phone": "0912 000 001",
}
PLATFORM_ADMIN = ("0912 000 000", "Quản trị Schoolbook")
PRINCIPAL = ("0912 000 002", "Trần Văn Minh")
# The district office covering the demo school (Ba Đình), with one specialist.
DEMO_OFFICE = {"code": "phong-ba-dinh", "name": "Phòng GD&ĐT Ba Đình (demo)", "kind": "district",
               "province": "Hà Nội", "district": "Ba Đình"}  # fmt: skip
OFFICE_SPECIALIST = ("0912 000 009", "Đỗ Thu Hà")
ACCOUNTANT_NUMBER = 3  # staff_phone(index, 3): each school's accountant (kế toán)
# The second, third… demo schools: a primary and an upper secondary school first (parents with a child in
# each level are common), then more lower secondary schools.
MORE_SCHOOLS = [
    ("th-demo", "Trường Tiểu học Kim Đồng (demo)", "primary", "Đống Đa", "25 Tây Sơn"),
    ("thpt-demo", "Trường THPT Phan Đình Phùng (demo)", "upper_secondary", "Ba Đình", "67 Phó Đức Chính"),
    ("thcs-demo", "Trường THCS Nguyễn Du (demo)", "lower_secondary", "Hoàn Kiếm", "13 Hàng Bài"),
    ("thcs-demo", "Trường THCS Trưng Vương (demo)", "lower_secondary", "Hoàn Kiếm", "2 Hàng Bài"),
]
CLASS_SIZE = 40
DEFAULT_STUDENTS = 2 * CLASS_SIZE  # `make run`: two classes of 40, quick to seed
DEFAULT_SEED = 2026

SURNAMES = [  # weighted roughly as in the population: Nguyễn is about a third
    *["Nguyễn"] * 12, *["Trần"] * 4, *["Lê"] * 4, *["Phạm"] * 3, *["Hoàng"] * 2, *["Huỳnh"] * 2,
    *["Phan"] * 2, *["Vũ"] * 2, "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương",
    "Mai", "Tạ", "Lương", "Cao", "Trịnh", "Đoàn",
]  # fmt: skip
MIDDLE = {
    "male": ["Văn", "Văn", "Minh", "Gia", "Bảo", "Đức", "Quốc", "Hữu", "Thành", "Anh", "Tuấn", "Hoàng"],
    "female": ["Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Bảo", "Khánh", "Phương", "Gia", "Hồng"],
}
GIVEN = {
    "male": [
        "An", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Huy", "Khang", "Khoa", "Khôi",
        "Kiên", "Long", "Lâm", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Sơn", "Tâm", "Thắng",
        "Thịnh", "Trí", "Trung", "Tuấn", "Việt", "Vinh", "Vũ", "Hưng", "Đông", "Nhật",
    ],
    "female": [
        "An", "Anh", "Châu", "Chi", "Dung", "Giang", "Hà", "Hân", "Hằng", "Hiền", "Hoa", "Hương", "Lan",
        "Linh", "Mai", "My", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh", "Phương", "Quỳnh", "Tâm", "Thảo",
        "Trang", "Trâm", "Uyên", "Vy", "Yến", "Thư", "Diệp", "Hạnh",
    ],
}  # fmt: skip
SIBLING_SHARE = 0.12  # families with a second child in the same school
CROSS_SCHOOL_SHARE = 0.05  # families of a school that also have a child in the previous school
MAX_CLASSES_PER_TEACHER = 6  # a subject teacher teaches that subject to at most six classes


def guardian_phone(number: int) -> str:
    """Demo guardians: 098 0xx xxxx (Viettel), unique per number."""
    return f"098{number:07d}"


def staff_phone(school_index: int, number: int) -> str:
    """Demo staff of the index-th school: 0912 iii nnn (0912 000 001 and 002: the first school's admin and
    principal, as before)."""
    return f"0912{school_index:03d}{number:03d}"


def e164(national: str) -> str:
    return "+84" + national.replace(" ", "")[1:]


# --- the plan: who is in which class with which guardians (no database) -------------------------------


@dataclass
class PlannedGuardian:
    phone: str  # national form, 0…
    full_name: str
    relationship: str


@dataclass
class PlannedStudent:
    code: str
    full_name: str
    gender: str
    date_of_birth: date
    class_name: str
    family: int  # index into RosterPlan.families
    is_primary_contact_of: int = 0  # which of the family's guardians is the primary contact


@dataclass
class RosterPlan:
    classes: dict[str, int]  # class name → grade, in order
    students: list[PlannedStudent] = field(default_factory=list)
    families: list[list[PlannedGuardian]] = field(default_factory=list)


def _person(rng: random.Random, gender: str, surname: str | None = None) -> str:
    return f"{surname or rng.choice(SURNAMES)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"


def class_layout(grades: list[int], students: int) -> dict[str, int]:
    """About 40 per class, spread over the school's grades: 6A1, 7A1, 8A1, 9A1, 6A2, …"""
    count = max(1, round(students / CLASS_SIZE))
    layout = {}
    for index in range(count):
        grade = grades[index % len(grades)]
        layout[f"{grade}A{index // len(grades) + 1}"] = grade
    return dict(sorted(layout.items(), key=lambda item: (item[1], int(item[0].split("A")[1]))))


def plan_roster(
    *,
    rng: random.Random,
    grades: list[int],
    students: int,
    first_year: int,
    code_prefix: str = "HS",
    next_phone: Callable[[], str],
    shared_families: list[list[PlannedGuardian]] = (),
) -> RosterPlan:
    """Students, classes and families of one school. `next_phone` hands out unique guardian numbers;
    `shared_families` are families of another school, some of which get a child here too."""
    plan = RosterPlan(classes=class_layout(grades, students))
    names = list(plan.classes)
    shared = list(shared_families)
    rng.shuffle(shared)
    cross = shared[: round(students * CROSS_SCHOOL_SHARE)]
    index = 0

    def add_child(family: int, surname: str, primary: int) -> None:
        nonlocal index
        class_name = names[index * len(names) // students]
        grade = plan.classes[class_name]
        gender = rng.choice(["male", "female"])
        born = date(first_year - grade - 6, 1, 1) + timedelta(days=rng.randrange(365))
        plan.students.append(
            PlannedStudent(
                code=f"{code_prefix}{index + 1:05d}", full_name=_person(rng, gender, surname), gender=gender,
                date_of_birth=born, class_name=class_name, family=family, is_primary_contact_of=primary,
            )
        )  # fmt: skip
        index += 1

    while index < students:
        if cross:
            guardians = cross.pop()
        else:
            surname = rng.choice(SURNAMES)
            father = PlannedGuardian(next_phone(), _person(rng, "male", surname), Relationship.FATHER)
            mother = PlannedGuardian(next_phone(), _person(rng, "female"), Relationship.MOTHER)
            roll = rng.random()
            if roll < 0.45:
                guardians = [father, mother] if rng.random() < 0.4 else [mother, father]
            elif roll < 0.70:
                guardians = [mother]
            elif roll < 0.92:
                guardians = [father]
            else:
                guardians = [PlannedGuardian(next_phone(), _person(rng, "female"), Relationship.GRANDPARENT)]
        plan.families.append(guardians)
        family = len(plan.families) - 1
        fathers = [g for g in guardians if g.relationship == Relationship.FATHER]
        surname = fathers[0].full_name.split()[0] if fathers else rng.choice(SURNAMES)
        add_child(family, surname, 0)
        if index < students and rng.random() < SIBLING_SHARE:
            add_child(family, surname, 0)
    return plan


# --- writing a plan into a school's schema, in bulk ------------------------------------------------------


@dataclass
class SeedCounts:
    students: int = 0
    classes: int = 0
    guardians: int = 0
    teachers: int = 0
    assignments: int = 0
    users_created: int = 0


def _users_for(people: dict[str, str]) -> tuple[dict[str, User], int]:
    """Users by E.164 phone for {e164: full name}: existing ones reused, the others created in bulk."""
    existing = {user.phone: user for user in User.objects.filter(phone__in=list(people))}
    new = []
    for phone, name in people.items():
        if phone not in existing:
            user = User(phone=phone, full_name=name)
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new, batch_size=1000)
    existing.update({user.phone: user for user in new})
    return existing, len(new)


def roster_write(
    *,
    actor,
    school: School,
    plan: RosterPlan,
    teacher_phone: Callable[[int], str],
    year: SchoolYear | None = None,
) -> SeedCounts:
    """Write `plan` into the school (call inside its schema, in a transaction): classes of the current
    year, teachers (users, staff rows, subjects, affiliations) with a homeroom class each where there are
    enough, teaching assignments for every subject of every class, students, enrolments, guardians (users,
    links, affiliations)."""
    counts = SeedCounts()
    year = year or SchoolYear.objects.get(is_current=True)
    grades = {grade.number: grade for grade in GradeLevel.objects.all()}
    classes = [SchoolClass(name=name, grade=grades[grade], year=year) for name, grade in plan.classes.items()]
    SchoolClass.objects.bulk_create(classes)
    counts.classes = len(classes)

    # Teachers: for each subject, enough to teach it in every class that has it (≤ 6 classes each).
    subjects = list(Subject.objects.filter(is_active=True).prefetch_related("loads__grade"))
    rng = random.Random(f"teachers:{school.code}")
    teaching: list[tuple[int, Subject, list[SchoolClass]]] = []  # teacher index, subject, classes
    teacher_count = 0
    for subject in subjects:
        subject_grades = {load.grade.number for load in subject.loads.all()}
        taught = [c for c in classes if plan.classes[c.name] in subject_grades]
        for start in range(0, len(taught), MAX_CLASSES_PER_TEACHER):
            teaching.append((teacher_count, subject, taught[start : start + MAX_CLASSES_PER_TEACHER]))
            teacher_count += 1
    teacher_count = max(teacher_count, len(classes))  # one homeroom class per teacher at most
    people = {}
    for number in range(teacher_count):
        gender = "female" if rng.random() < 0.7 else "male"  # most teachers are women
        people[e164(teacher_phone(number))] = _person(rng, gender)
    users, created = _users_for(people)
    counts.users_created += created
    already = set(StaffMember.objects.filter(user__in=users.values()).values_list("user__phone", flat=True))
    staff = [
        StaffMember(
            user=users[phone], full_name=name, roles=[Role.TEACHER], position="Giáo viên"
        ).set_sort_key()
        for phone, name in people.items()
        if phone not in already
    ]
    StaffMember.objects.bulk_create(staff)
    teachers = list(
        StaffMember.objects.filter(user__in=[users[phone] for phone in people]).order_by("user__phone")
    )
    counts.teachers = len(teachers)
    links = {(teachers[index].pk, subject.pk) for index, subject, _ in teaching if index < len(teachers)}
    StaffMember.subjects.through.objects.bulk_create(
        [StaffMember.subjects.through(staffmember_id=t, subject_id=s) for t, s in links],
        ignore_conflicts=True,
    )
    assignments = [
        TeachingAssignment(teacher=teachers[index], school_class=school_class, subject=subject)
        for index, subject, taught in teaching
        for school_class in taught
    ]
    TeachingAssignment.objects.bulk_create(assignments, batch_size=1000)
    counts.assignments = len(assignments)
    homeroom = rng.sample(teachers, len(classes)) if len(teachers) >= len(classes) else teachers
    for school_class, teacher in zip(classes, homeroom, strict=False):
        school_class.homeroom_teacher = teacher
    SchoolClass.objects.bulk_update(classes, ["homeroom_teacher"])

    # Guardians: one row per phone in this school (a family's guardians are shared by its children).
    families = {plan.students[i].family for i in range(len(plan.students))}
    guardian_people = {
        e164(g.phone): g.full_name for family in sorted(families) for g in plan.families[family]
    }
    users, created = _users_for(guardian_people)
    counts.users_created += created
    guardians = [
        Guardian(full_name=name, phone=phone, user=users[phone]).set_sort_key()
        for phone, name in guardian_people.items()
    ]
    Guardian.objects.bulk_create(guardians, batch_size=1000)
    by_phone = {guardian.phone: guardian for guardian in guardians}
    counts.guardians = len(guardians)

    students = [
        Student(student_code=p.code, full_name=p.full_name, gender=p.gender, date_of_birth=p.date_of_birth)
        for p in plan.students
    ]
    for student in students:  # bulk_create skips Student.save(), which sets these three
        student.full_name = nfc(student.full_name)
        student.full_name_folded = fold(student.full_name)
        student.set_sort_key()
    Student.objects.bulk_create(students, batch_size=1000)
    counts.students = len(students)
    class_by_name = {c.name: c for c in classes}
    Enrolment.objects.bulk_create(
        [
            Enrolment(student=student, school_class=class_by_name[p.class_name], starts_on=year.starts_on)
            for student, p in zip(students, plan.students, strict=True)
        ],
        batch_size=1000,
    )
    StudentGuardian.objects.bulk_create(
        [
            StudentGuardian(
                student=student,
                guardian=by_phone[e164(g.phone)],
                relationship=g.relationship,
                is_primary_contact=position == p.is_primary_contact_of,
            )
            for student, p in zip(students, plan.students, strict=True)
            for position, g in enumerate(plan.families[p.family])
        ],
        batch_size=1000,
    )
    _affiliate(school, teachers=[t.user_id for t in teachers], guardians=[g.user_id for g in guardians])
    audit_record(
        actor=actor,
        action="roster.seed_demo",
        object_repr=school.name,
        after={"students": counts.students, "classes": counts.classes, "guardians": counts.guardians},
    )
    return counts


def _affiliate(school: School, *, teachers: list[int], guardians: list[int]) -> None:
    """The public index of who belongs where (tenants.services.affiliation_add, in bulk)."""
    existing = {a.user_id: a for a in SchoolAffiliation.objects.filter(school=school)}
    new, changed = {}, []
    for user_id, is_staff in [*((u, True) for u in teachers), *((u, False) for u in guardians)]:
        affiliation = existing.get(user_id) or new.get(user_id)
        if affiliation is None:
            new[user_id] = SchoolAffiliation(
                user_id=user_id, school=school, is_staff=is_staff, is_guardian=not is_staff
            )
        elif (is_staff and not affiliation.is_staff) or (not is_staff and not affiliation.is_guardian):
            affiliation.is_staff = affiliation.is_staff or is_staff
            affiliation.is_guardian = affiliation.is_guardian or not is_staff
            if affiliation.pk:
                changed.append(affiliation)
    SchoolAffiliation.objects.bulk_create(new.values(), batch_size=1000)
    SchoolAffiliation.objects.bulk_update(changed, ["is_staff", "is_guardian"], batch_size=1000)


def roster_seed(
    *,
    actor,
    school: School,
    students: int,
    seed: int,
    class_size: int,
    guardian_phone: Callable[[int], str],
    teacher_phone: Callable[[int], str],
) -> SeedCounts:
    """A large roster for measurements and scale tests (call inside the school's schema): grades 6–9,
    `students` students spread over classes of about `class_size`, guardians numbered from 0 through
    `guardian_phone`, enrolled since the start of the year, then ANALYZEd."""
    year = SchoolYear.objects.get(is_current=True)
    guardian_numbers = iter(range(300_000))
    plan = plan_roster(
        rng=random.Random(seed),
        grades=[6, 7, 8, 9],
        students=students,
        first_year=year.starts_on.year,
        next_phone=lambda: guardian_phone(next(guardian_numbers)),
    )
    classes = max(1, students // class_size)
    # `class_layout` makes classes of about CLASS_SIZE: ask for `classes` of them, then spread the students.
    plan.classes = class_layout([6, 7, 8, 9], classes * CLASS_SIZE)
    names = list(plan.classes)
    for number, student in enumerate(plan.students):
        student.class_name = names[number * len(names) // len(plan.students)]
    with transaction.atomic():
        counts = roster_write(actor=actor, school=school, plan=plan, teacher_phone=teacher_phone)
    Enrolment.objects.update(starts_on=year.starts_on)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts


# --- the command --------------------------------------------------------------------------------------


def school_specs(count: int) -> list[dict]:
    """The demo schools' onboarding data: the historical demo school first."""
    specs = [DEMO_SCHOOL]
    for index in range(1, count):
        prefix, name, level, district, address = MORE_SCHOOLS[(index - 1) % len(MORE_SCHOOLS)]
        round_ = (index - 1) // len(MORE_SCHOOLS)
        code = f"{prefix}-{index + 1}"
        if round_:
            name = name.replace("(demo)", f"(demo {round_ + 1})")
        specs.append({
            "code": code, "name": name, "levels": [level], "province": "Hà Nội", "district": district,
            "address": address, "phone": "", "email": "",
            "admin_name": _person(random.Random(code), "female"), "admin_phone": staff_phone(index, 1),
        })  # fmt: skip
    return specs


class Command(BaseCommand):
    help = "Create (once) the demo schools, people and rosters, and print fresh passwords for some logins."

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=1, help="demo schools (default 1: thcs-demo)")
        parser.add_argument(
            "--students-per-school",
            type=int,
            default=DEFAULT_STUDENTS,
            help=f"students in each school (default {DEFAULT_STUDENTS}: two classes of {CLASS_SIZE})",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same data)"
        )

    def handle(self, *args, schools: int, students_per_school: int, seed: int, **options):
        if schools < 1 or students_per_school < 0:
            self.stderr.write("--schools must be at least 1 and --students-per-school at least 0")
            return
        started = time.monotonic()
        with transaction.atomic():
            admin_phone, admin_name = PLATFORM_ADMIN
            platform_admin = User.objects.filter(phone=e164(admin_phone)).first() or User.objects.create_user(
                admin_phone, full_name=admin_name, is_platform_admin=True
            )
        rng = random.Random(seed)
        phones = iter(range(1, 10_000_000))
        first_year = school_year_bounds(timezone.localdate())[1].year
        families_by_school: list[list[list[PlannedGuardian]]] = []
        for index, spec in enumerate(school_specs(schools)):
            grades = [number for level in spec["levels"] for number in GRADES[level]]
            # Planned even when the school is skipped, so that later schools get the same people.
            plan = plan_roster(
                rng=rng,
                grades=grades,
                students=students_per_school,
                first_year=first_year,
                next_phone=lambda: guardian_phone(next(phones)),
                shared_families=families_by_school[-1] if families_by_school else [],
            )
            families_by_school.append(plan.families)
            with transaction.atomic():
                school = self._school(platform_admin, spec, index)
                with schema_context(school.schema_name):
                    if Student.objects.exists() or not students_per_school:
                        self.stdout.write(f"{school.code}: already has students, left as it is")
                        continue
                    counts = roster_write(
                        actor=platform_admin,
                        school=school,
                        plan=plan,
                        teacher_phone=lambda number, index=index: staff_phone(index, 100 + number),
                    )
                    # Semester I's gradebook (plans, every score, conduct) for the secondary classes; a
                    # primary school gets its plans only (Circular 27 entry is not seeded).
                    year = SchoolYear.objects.get(is_current=True)
                    grades = gradebook_seed(
                        year, [year.terms.get(number=1)], random.Random(f"{seed}:{index}")
                    )
                    notices = notices_seed()
                    accountant = staff_add(
                        actor=platform_admin, school=school, phone=staff_phone(index, ACCOUNTANT_NUMBER),
                        full_name=_person(random.Random(f"{seed}:{index}:accountant"), "female"),
                        roles=[Role.ACCOUNTANT],
                    )  # fmt: skip
                    fees = fees_seed(accountant=accountant, rng=random.Random(f"{seed}:{index}:fees"))
                self.stdout.write(
                    f"{school.code}: {counts.students} students in {counts.classes} classes, "
                    f"{counts.guardians} guardians, {counts.teachers} teachers, "
                    f"{counts.assignments} teaching assignments, {counts.users_created} new users, "
                    f"{grades.scores} scores and {grades.conducts} conduct ratings for semester I, "
                    f"{notices} notices, {fees.invoices} invoices and {fees.transfers} bank transfers"
                )
        self._office(platform_admin)
        self._print_logins()
        self.stdout.write(f"  (seeding took {time.monotonic() - started:.1f} s)\n")

    def _school(self, platform_admin, spec: dict, index: int) -> School:
        school = School.objects.filter(code=spec["code"]).first()
        if school is None:
            school = school_onboard(actor=platform_admin, data=spec)
            principal = (
                PRINCIPAL if index == 0 else (staff_phone(index, 2), _person(random.Random(index), "male"))
            )
            with schema_context(school.schema_name):
                staff_add(
                    actor=platform_admin,
                    school=school,
                    phone=principal[0],
                    full_name=principal[1],
                    roles=[Role.PRINCIPAL],
                )
        return school

    def _office(self, platform_admin) -> None:
        """The demo district office (its area's schools join it), once."""
        if EducationOffice.objects.filter(code=DEMO_OFFICE["code"]).exists():
            return
        office = office_create(actor=platform_admin, cleaned=dict(DEMO_OFFICE))
        phone, name = OFFICE_SPECIALIST
        office_staff_add(actor=platform_admin, office=office, phone=phone, full_name=name, role="specialist")

    def _print_logins(self) -> None:
        logins = [
            (e164(PLATFORM_ADMIN[0]), "platform admin"),
            (e164(OFFICE_SPECIALIST[0]), "district office"),
            (e164(DEMO_SCHOOL["admin_phone"]), "school admin"),
            (e164(PRINCIPAL[0]), "principal"),
            (e164(staff_phone(0, ACCOUNTANT_NUMBER)), "accountant"),
        ]
        homeroom = None
        with schema_context(School.objects.get(code=DEMO_SCHOOL["code"]).schema_name):
            homeroom = (
                SchoolClass.objects.filter(year__is_current=True, homeroom_teacher__isnull=False)
                .select_related("homeroom_teacher__user")
                .first()
            )
            parent = Guardian.objects.filter(user__isnull=False).order_by("phone").first()
        if homeroom:
            logins.append((homeroom.homeroom_teacher.user.phone, f"homeroom {homeroom.name}"))
        # A parent of the demo school with children in another school too, if there is one.
        demo_parent = (
            SchoolAffiliation.objects.filter(user__affiliations__school__code=DEMO_SCHOOL["code"],
                                             user__affiliations__is_guardian=True, is_guardian=True)
            .exclude(school__code=DEMO_SCHOOL["code"])
            .order_by("user__phone")
            .values_list("user__phone", flat=True)
            .first()
        )  # fmt: skip
        if demo_parent:
            logins.append((demo_parent, "parent, 2 schools"))
        elif parent:
            logins.append((parent.user.phone, "parent"))
        lines = []
        for phone, label in logins:
            user = User.objects.get(phone=phone)
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.save(update_fields=["password"])
            lines.append(f"  {label:<17} phone 0{phone[3:]}   password {password}")
        self.stdout.write("\nDemo logins (new passwords on every start):\n" + "\n".join(lines))
        self.stdout.write(f"  demo school       http://127.0.0.1:8000/s/{DEMO_SCHOOL['code']}/")
        self.stdout.write(f"  demo office       http://127.0.0.1:8000/office/{DEMO_OFFICE['code']}/\n")
