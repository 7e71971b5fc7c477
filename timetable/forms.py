"""The timetable's forms: a class's week as a grid (a subject, a teacher and a room per period, from a start
date), the import's upload (the start date and the file), and the school's periods per session."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from students.forms import date_field
from students.imports.flow import SpreadsheetUploadForm
from students.models import StaffMember, Subject
from timetable.models import TimetableSettings
from timetable.rules import Slot
from timetable.selectors import slot_text, weekday_name
from timetable.services import Cell


def field_name(slot: Slot, part: str) -> str:
    weekday, session, period = slot
    return f"c-{weekday}-{session}-{period}-{part}"


class GridForm(forms.Form):
    """One field per part of each slot. Choices are built once (the grade's subjects, the active staff),
    not a query per cell. An empty teacher is the class's teaching assignment for the subject."""

    starts_on = date_field(_("Áp dụng từ ngày"))

    def __init__(self, *args, school_class, slots, subjects: list[Subject], staff: list[StaffMember],
                 assigned: dict, **kwargs):  # fmt: skip
        super().__init__(*args, **kwargs)
        self.school_class, self.slots, self.assigned = school_class, slots, assigned
        self.subjects = {str(subject.pk): subject for subject in subjects}
        self.staff = {str(member.pk): member for member in staff}
        subject_choices = [("", "—")] + [(key, s.name) for key, s in self.subjects.items()]
        teacher_choices = [("", gettext("Theo phân công"))] + [
            (k, m.full_name) for k, m in self.staff.items()
        ]
        for slot in slots:
            where = slot_text(slot)
            self.fields[field_name(slot, "subject")] = forms.ChoiceField(
                label=gettext("Môn, %(slot)s") % {"slot": where}, choices=subject_choices, required=False
            )
            self.fields[field_name(slot, "teacher")] = forms.ChoiceField(
                label=gettext("Giáo viên, %(slot)s") % {"slot": where},
                choices=teacher_choices,
                required=False,
            )
            self.fields[field_name(slot, "room")] = forms.CharField(
                label=gettext("Phòng, %(slot)s") % {"slot": where},
                max_length=30,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": gettext("Phòng")}),
            )

    def cells(self) -> dict[Slot, Cell]:
        """The filled slots (after is_valid): a teacher chosen, else the assignment's, else none."""
        cells = {}
        for slot in self.slots:
            subject = self.subjects.get(self.cleaned_data[field_name(slot, "subject")])
            if subject is None:
                continue
            teacher = self.staff.get(self.cleaned_data[field_name(slot, "teacher")])
            teacher = teacher or self.assigned.get((self.school_class.pk, subject.pk))
            cells[slot] = Cell(subject, teacher, self.cleaned_data[field_name(slot, "room")].strip())
        return cells

    def clean(self):
        cleaned = super().clean()
        for slot in self.slots:
            chosen = cleaned.get(field_name(slot, "teacher")) or cleaned.get(field_name(slot, "room"))
            if chosen and not cleaned.get(field_name(slot, "subject")):
                self.add_error(field_name(slot, "subject"), gettext("Chọn môn cho tiết này."))
        return cleaned

    def rows(self):
        """For the template: each period (a row) with its six days' fields."""
        by_period: dict[tuple, list] = {}
        for slot in self.slots:
            weekday, session, period = slot
            by_period.setdefault((session, period), []).append(
                (
                    weekday_name(weekday),
                    [self[field_name(slot, part)] for part in ("subject", "teacher", "room")],
                )
            )
        return [(session, period, days) for (session, period), days in by_period.items()]


class TimetableUploadForm(SpreadsheetUploadForm):
    starts_on = date_field(_("Áp dụng từ ngày"))
    file = forms.FileField(
        label=_("Tệp thời khoá biểu (.xlsx hoặc .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = TimetableSettings
        fields = ["morning_periods", "afternoon_periods"]
