"""A school's roster: years and terms, grades, subjects, classes, staff, students and their guardians."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from schoolbook.name_order import MAX_LENGTH, vietnamese_sort_key
from schoolbook.text import fold, nfc
from students import sector_ids
from students.holidays import weekdays_between
from tenants.models import Level


class ListedByName(models.Model):
    """People listed in Vietnamese class-list order (schoolbook/name_order.py): `sort_key` is kept from
    `full_name` on every save; bulk writes call `set_sort_key()` (docs/decisions.md, "Lists in Vietnamese
    order"). Collation "C": the key is compared byte by byte whatever the database's locale."""

    sort_key = models.CharField(max_length=MAX_LENGTH, editable=False, db_index=True, db_collation="C")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.set_sort_key()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "sort_key"}
        super().save(*args, **kwargs)

    def set_sort_key(self):
        self.sort_key = vietnamese_sort_key(self.full_name)
        return self


class StaffMember(ListedByName):
    """What a user is in this school. One row per person; a person may hold several roles."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    full_name = models.CharField(_("họ và tên"), max_length=150)
    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list)
    position = models.CharField(_("chức vụ"), max_length=100, blank=True)
    subjects = models.ManyToManyField(
        "Subject", blank=True, related_name="teachers", verbose_name=_("môn dạy")
    )
    is_active = models.BooleanField(_("đang làm việc"), default=True)
    left_on = models.DateField(_("ngày rời trường"), null=True, blank=True)  # removed: history stays
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sort_key", "pk"]
        indexes = [models.Index(fields=["is_active"])]
        constraints = [models.CheckConstraint(condition=~models.Q(roles=[]), name="staff_has_a_role")]

    def __str__(self):
        return self.full_name

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles]


class SchoolYear(models.Model):
    name = models.CharField(
        _("năm học"), max_length=9, unique=True,
        validators=[RegexValidator(r"^\d{4}-\d{4}$", _("Năm học có dạng 2025-2026."))],
    )  # fmt: skip
    starts_on = models.DateField(_("ngày bắt đầu"))
    ends_on = models.DateField(_("ngày kết thúc"))
    is_current = models.BooleanField(_("năm học hiện tại"), default=False)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="one_current_year"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")), name="year_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.name


class Term(models.Model):
    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="terms")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(2)])
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["year", "number"]
        constraints = [models.UniqueConstraint(fields=["year", "number"], name="one_term_number_per_year")]

    def __str__(self):
        return f"{self.name} {self.year}"

    @property
    def name(self) -> str:
        return _("Học kỳ I") if self.number == 1 else _("Học kỳ II")


def _d(day) -> str:
    return day.strftime("%d/%m/%Y")


class DayOff(models.Model):
    """Days of the school year without classes (a holiday, Tết, a mid-term break): one day or a range,
    inside its year, never overlapping another of the year. Roll calls are not due on them (they may still
    be taken: make-up days happen)."""

    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="days_off")
    first_day = models.DateField(_("từ ngày"))
    last_day = models.DateField(_("đến ngày"))
    name = models.CharField(_("tên ngày nghỉ"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="day_off_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.dates})"

    @property
    def dates(self) -> str:
        """ "14/02/2027" or "14/02/2027 – 22/02/2027"."""
        if self.first_day == self.last_day:
            return _d(self.first_day)
        return f"{_d(self.first_day)} – {_d(self.last_day)}"

    @property
    def weekdays(self) -> int:
        """Monday to Friday days the range covers: the school days it takes away from a five-day week."""
        return weekdays_between(self.first_day, self.last_day)

    def clean(self):
        """Last day on or after the first, both inside the year, no overlap with another day off of the
        year (named in the error). Services call it under a lock on the year."""
        if self.first_day is None or self.last_day is None:
            return
        if self.last_day < self.first_day:
            raise ValidationError({"last_day": _("“Đến ngày” phải bằng hoặc sau “từ ngày”.")})
        year = self.year
        outside = _("Ngày nghỉ phải nằm trong năm học %(year)s (%(first)s – %(last)s).") % {
            "year": year.name, "first": _d(year.starts_on), "last": _d(year.ends_on),
        }  # fmt: skip
        if not year.starts_on <= self.first_day <= year.ends_on:
            raise ValidationError({"first_day": outside})
        if self.last_day > year.ends_on:
            raise ValidationError({"last_day": outside})
        other = (
            DayOff.objects.filter(year=year, first_day__lte=self.last_day, last_day__gte=self.first_day)
            .exclude(pk=self.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                {"first_day": _("Trùng với ngày nghỉ “%(name)s” (%(dates)s) đã có trong năm học.")
                 % {"name": other.name, "dates": other.dates}}
            )  # fmt: skip


class GradeLevel(models.Model):
    number = models.PositiveSmallIntegerField(
        unique=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    level = models.CharField(max_length=20, choices=Level.choices)

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return _("Khối %(number)s") % {"number": self.number}


class Assessment(models.TextChoices):
    SCORED = "scored", _("Cho điểm")  # Circular 22: 0–10, one decimal
    PASS_FAIL = "pass_fail", _("Nhận xét Đạt/Chưa đạt")  # Circular 22 comment-only subjects
    PRIMARY_RATING = "primary_rating", _("Hoàn thành tốt/Hoàn thành/Chưa hoàn thành")  # Circular 27


class Subject(models.Model):
    """The 2018 general programme's subjects, per level; seeded at onboarding, editable by the school."""

    code = models.SlugField(max_length=40)
    name = models.CharField(_("môn học"), max_length=100)
    level = models.CharField(max_length=20, choices=Level.choices)
    assessment = models.CharField(max_length=20, choices=Assessment.choices)
    has_periodic_test = models.BooleanField(
        default=False
    )  # primary subjects with written tests (Circular 27)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["level", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["level", "code"], name="subject_code_per_level")]

    def __str__(self):
        return self.name


class SubjectLoad(models.Model):
    """Periods per year of a subject in a grade: the number of regular assessments follows (DOMAIN.md §1)."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="loads")
    grade = models.ForeignKey(GradeLevel, on_delete=models.CASCADE, related_name="subject_loads")
    periods_per_year = models.PositiveSmallIntegerField(_("số tiết/năm"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "grade"], name="one_load_per_subject_grade")
        ]

    def __str__(self):
        return f"{self.subject} {self.grade}: {self.periods_per_year}"


class SchoolClass(models.Model):
    name = models.CharField(_("lớp"), max_length=20)
    grade = models.ForeignKey(GradeLevel, on_delete=models.PROTECT, related_name="classes")
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="classes")
    homeroom_teacher = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="homeroom_classes"
    )
    # An archived class is out of the year's lists and forms; its enrolments, scores and roll calls stay.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["year", "grade", "name"]
        constraints = [
            models.UniqueConstraint(fields=["year", "name"], name="class_name_per_year"),
            # "6a1" and "6A1" are the same class to a school.
            models.UniqueConstraint(Upper("name"), "year", name="class_name_per_year_any_case"),
        ]

    def __str__(self):
        return self.name


class TeachingAssignment(models.Model):
    teacher = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="assignments")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="assignments")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="assignments")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school_class", "subject"], name="one_teacher_per_class_subject")
        ]

    def __str__(self):
        return f"{self.teacher} – {self.subject} – {self.school_class}"


class Gender(models.TextChoices):
    MALE = "male", _("Nam")
    FEMALE = "female", _("Nữ")


class StudentStatus(models.TextChoices):
    STUDYING = "studying", _("Đang học")
    TRANSFERRED = "transferred", _("Đã chuyển trường")
    GRADUATED = "graduated", _("Đã tốt nghiệp")
    DROPPED_OUT = "dropped_out", _("Đã thôi học")


class Student(ListedByName):
    student_code = models.CharField(_("mã học sinh"), max_length=30, unique=True)
    national_id = models.CharField(
        _("số định danh cá nhân"), max_length=12, blank=True,
        validators=[RegexValidator(r"^\d{12}$", _("Số định danh cá nhân gồm 12 chữ số."))],
    )  # fmt: skip
    # The sector database's identifier (students.sector_ids): blank until the school copies it in.
    sector_id = models.CharField(
        _("mã định danh Bộ GD&ĐT"), max_length=sector_ids.MAX_DIGITS, blank=True,
        validators=[RegexValidator(rf"^\d{{{sector_ids.MIN_DIGITS},{sector_ids.MAX_DIGITS}}}$",
                                   _(sector_ids.INVALID))],
    )  # fmt: skip
    full_name = models.CharField(_("họ và tên"), max_length=150)
    full_name_folded = models.CharField(max_length=150, editable=False, db_index=True)
    date_of_birth = models.DateField(_("ngày sinh"))
    gender = models.CharField(_("giới tính"), max_length=10, choices=Gender.choices)
    status = models.CharField(_("tình trạng"), max_length=20, choices=StudentStatus.choices,
                              default=StudentStatus.STUDYING)  # fmt: skip
    withdrawal_reason = models.CharField(_("lý do thôi học"), max_length=300, blank=True)
    guardians = models.ManyToManyField("Guardian", through="StudentGuardian", related_name="students")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sort_key", "student_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["national_id"],
                condition=~models.Q(national_id=""),
                name="national_id_unique_when_set",
            ),
            models.UniqueConstraint(
                fields=["sector_id"], condition=~models.Q(sector_id=""), name="sector_id_unique_when_set"
            ),
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.full_name = nfc(self.full_name)
        self.full_name_folded = fold(self.full_name)
        super().save(*args, **kwargs)


class Enrolment(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrolments")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="enrolments")
    starts_on = models.DateField(_("từ ngày"))
    ends_on = models.DateField(_("đến ngày"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class"], name="one_enrolment_per_class"),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="enrolment_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.student} – {self.school_class}"


class Guardian(ListedByName):
    """A parent or guardian. Linked to the platform User with the same phone number (roster import, first
    login), which is how one parent sees children in several schools."""

    full_name = models.CharField(_("họ và tên"), max_length=150)
    phone = models.CharField(_("số điện thoại"), max_length=16, unique=True)
    email = models.EmailField(_("email"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")  # fmt: skip

    class Meta:
        ordering = ["sort_key", "pk"]

    def __str__(self):
        return self.full_name


class Relationship(models.TextChoices):
    FATHER = "father", _("Bố")
    MOTHER = "mother", _("Mẹ")
    GRANDPARENT = "grandparent", _("Ông/Bà")
    SIBLING = "sibling", _("Anh/Chị")
    OTHER = "other", _("Người giám hộ khác")


class StudentGuardian(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardian_links")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="student_links")
    relationship = models.CharField(_("quan hệ"), max_length=20, choices=Relationship.choices)
    is_primary_contact = models.BooleanField(_("liên hệ chính"), default=False)
    receives_notifications = models.BooleanField(_("nhận thông báo"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "guardian"], name="one_link_per_student_guardian"),
            models.UniqueConstraint(
                fields=["student"], condition=models.Q(is_primary_contact=True), name="one_primary_contact"
            ),
        ]

    def __str__(self):
        return f"{self.guardian} ({self.get_relationship_display()}) – {self.student}"


class GuardianInvite(models.Model):
    """One invitation to use the contact book sent to a guardian (students/invites): whom, by whom, when.
    "Those never invited" and "not again the same day" are read from these rows."""

    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="invites")
    invited_by = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")  # fmt: skip
    invited_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-invited_at"]

    def __str__(self):
        return f"{self.guardian} {self.invited_at:%d/%m/%Y %H:%M}"


class ImportPreview(models.Model):
    """An uploaded import file waiting for its confirmation (roster, staff or gradebook import): kept in the
    school's schema, at most one per person (a new upload replaces it), deleted once used and, past
    students.imports.flow.PREVIEW_SECONDS, by the next upload or the hourly cleanup (students.tasks)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=20)  # "students", "staff", "gradebook"
    filename = models.CharField(max_length=255)
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    context = models.JSONField(default=dict, blank=True)  # the gradebook's class and term
    created_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.kind}: {self.filename}"
