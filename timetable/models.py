"""Timetables in a school's schema: per class, versions that each hold from their start date until the next
one starts (the old ones stay, for history), each a week of lessons (weekday × session × period: a subject,
its teacher and a room); the change that brought versions in (a grid saved or a file imported), which is
what guardians and teachers are told about, once; and the school's number of periods per session."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from students.models import SchoolClass, StaffMember, Subject
from timetable.rules import AFTERNOON, MAX_PERIODS, MORNING


class Session(models.TextChoices):
    MORNING = MORNING, _("Sáng")
    AFTERNOON = AFTERNOON, _("Chiều")


class TimetableSettings(models.Model):
    """The periods of each session (one row; `current()` gives the defaults where there is none). Five in the
    morning and five in the afternoon is the usual day of a Vietnamese secondary school."""

    morning_periods = models.PositiveSmallIntegerField(
        _("số tiết buổi sáng"), default=5, validators=[MinValueValidator(1), MaxValueValidator(MAX_PERIODS)]
    )
    afternoon_periods = models.PositiveSmallIntegerField(
        _("số tiết buổi chiều"), default=5, validators=[MinValueValidator(0), MaxValueValidator(MAX_PERIODS)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.morning_periods}+{self.afternoon_periods}"

    @classmethod
    def current(cls) -> "TimetableSettings":
        return cls.objects.order_by("pk").first() or cls()


class TimetableChange(models.Model):
    """One save of the grid or one import: the versions it brought in, who made it, and whether the people
    concerned have been told (`notified_at`, set under a lock with the messages: once)."""

    class Source(models.TextChoices):
        GRID = "grid", _("Nhập trên lưới")
        IMPORT = "import", _("Nhập từ tệp Excel")

    source = models.CharField(max_length=10, choices=Source.choices)
    starts_on = models.DateField(_("áp dụng từ ngày"))
    made_by = models.ForeignKey(StaffMember, null=True, on_delete=models.SET_NULL, related_name="+")
    made_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notified = models.PositiveIntegerField(default=0)  # messages written

    def __str__(self):
        return f"{self.get_source_display()} {self.starts_on:%d/%m/%Y}"


class Timetable(models.Model):
    """A version of a class's week, holding from `starts_on` until the class's next version starts. Saving
    again with the same start date corrects this version (its lessons are replaced)."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="timetables")
    starts_on = models.DateField(_("áp dụng từ ngày"))
    change = models.ForeignKey(TimetableChange, on_delete=models.PROTECT, related_name="timetables")

    class Meta:
        ordering = ["school_class", "-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "starts_on"], name="one_timetable_per_class_start"
            )
        ]

    def __str__(self):
        return f"{self.school_class} {self.starts_on:%d/%m/%Y}"


class Lesson(models.Model):
    """One period of a version's week: the subject, who teaches it (None: nobody assigned yet) and where."""

    timetable = models.ForeignKey(Timetable, on_delete=models.CASCADE, related_name="lessons")
    weekday = models.PositiveSmallIntegerField(_("thứ"), validators=[MaxValueValidator(5)])  # Monday = 0
    session = models.CharField(_("buổi"), max_length=10, choices=Session.choices)
    period = models.PositiveSmallIntegerField(
        _("tiết"), validators=[MinValueValidator(1), MaxValueValidator(MAX_PERIODS)]
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    teacher = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="lessons"
    )
    room = models.CharField(_("phòng"), max_length=30, blank=True)

    class Meta:
        ordering = ["weekday", "-session", "period"]  # "morning" > "afternoon": mornings first
        constraints = [
            models.UniqueConstraint(
                fields=["timetable", "weekday", "session", "period"], name="one_lesson_per_timetable_slot"
            )
        ]
        indexes = [models.Index(fields=["teacher", "weekday", "session", "period"])]

    def __str__(self):
        return f"{self.timetable} {self.weekday} {self.session} {self.period}: {self.subject}"

    @property
    def slot(self):
        return (self.weekday, self.session, self.period)
