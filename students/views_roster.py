"""Changes over time (issue 3, item 5) as thin pages for the school's managers: a class change mid-year
from the student's profile, the year rollover from the classes page (a transfer to another school is a
request: students.transfers). Each form validates, calls one service of students.services, shows a
RosterError next to the form and redirects with a flash message. Anyone who is not a manager of this
school gets 404 (schoolbook.permissions)."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from schoolbook.confirm import confirmation_token, confirmed
from schoolbook.permissions import school_role_required
from students.forms import EnrolmentMoveForm, YearRolloverForm
from students.models import SchoolClass, SchoolYear
from students.permissions import MANAGERS
from students.selectors import current_class, rollover_preview, student_profile
from students.services import (
    RosterError,
    enrolment_move,
    school_year_bounds,
    year_rollover,
)
from students.transfers.profile import transfer_context


def move_form(student, data=None) -> EnrolmentMoveForm:
    """The class-change form: the current year's classes other than the student's current one."""
    classes = SchoolClass.objects.filter(year__is_current=True, archived_at__isnull=True).order_by(
        "grade__number", "name"
    )
    current = current_class(student)
    if current is not None:
        classes = classes.exclude(pk=current.pk)
    return EnrolmentMoveForm(data, classes=classes, initial={"on_date": timezone.localdate()})


def _student_or_404(pk):
    student = student_profile(pk)
    if student is None:
        raise Http404
    return student


def profile_page(request, student, *, move=None, transfer=None, status=200):
    """The profile again, with a refused form and its errors (also students.transfers.views)."""
    context = {
        "school": request.tenant,
        "student": student,
        "can_change": True,
        "can_manage_people": True,
        "move_form": move or move_form(student),
        **transfer_context(request, student, form=transfer),
    }
    return render(request, "students/student_detail.html", context, status=status)


@school_role_required(*MANAGERS)
def enrolment_move_view(request, pk):
    """POST: move the student to another class of the current school year from the given date."""
    student = _student_or_404(pk)
    if request.method != "POST":
        return redirect("student_detail", pk=pk)
    form = move_form(student, request.POST)
    if form.is_valid():
        try:
            enrolment = enrolment_move(
                actor=request.user,
                student=student,
                to_class=form.cleaned_data["to_class"],
                on_date=form.cleaned_data["on_date"],
            )
        except RosterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext("Đã chuyển %(name)s sang lớp %(class)s từ ngày %(date)s.")
                % {
                    "name": student.full_name,
                    "class": enrolment.school_class.name,
                    "date": enrolment.starts_on.strftime("%d/%m/%Y"),
                },
            )
            return redirect("student_detail", pk=pk)
    return profile_page(request, student, move=form, status=400)


def _next_year_defaults(year: SchoolYear) -> dict:
    name, starts_on, _, ends_on = school_year_bounds(year.ends_on + timedelta(days=92))  # into next August
    return {"name": name, "starts_on": starts_on, "ends_on": ends_on}


@school_role_required(*MANAGERS)
def year_rollover_view(request):
    """Open the next school year and promote the classes, in two steps: the form posts to a preview (what
    will happen, computed without writing), and only the preview's "confirm" button (with the checkbox
    "Tôi đã kiểm tra" and the preview's token) calls students.services.year_rollover. The flash message
    gives its counts."""
    year = SchoolYear.objects.filter(is_current=True).first()
    if year is None:
        messages.error(request, gettext("Trường chưa có năm học hiện tại."))
        return redirect("class_list")
    form = YearRolloverForm(
        request.POST if request.method == "POST" else None,
        from_year=year,
        initial=_next_year_defaults(year),
    )
    context = {"form": form, "year": year, "preview": None}
    if request.method == "POST" and form.is_valid():
        try:
            context["preview"] = rollover_preview(year)
        except RosterError as error:
            form.add_error(None, str(error))
        else:
            # The confirmation is good only for the preview the person saw (schoolbook.confirm): a class or
            # a student added since, or a POST made without the preview, shows the preview again.
            context["token"] = confirmation_token(context["preview"], form.cleaned_data)
            if request.POST.get("confirm") and not confirmed(request, context["token"]):
                context["confirm_error"] = gettext(
                    "Số liệu đã thay đổi từ lúc bạn xem. Hãy kiểm tra lại rồi xác nhận."
                )
            elif request.POST.get("confirm"):
                if not request.POST.get("checked"):
                    context["confirm_error"] = gettext("Đánh dấu “Tôi đã kiểm tra” để chuyển năm học.")
                else:
                    try:
                        report = year_rollover(
                            actor=request.user,
                            from_year=year,
                            new_year_name=form.cleaned_data["name"],
                            starts_on=form.cleaned_data["starts_on"],
                            ends_on=form.cleaned_data["ends_on"],
                        )
                    except RosterError as error:
                        form.add_error(None, str(error))
                        context["preview"] = None
                    else:
                        messages.success(request, str(report))
                        return redirect("class_list")
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(request, "students/year_rollover.html", context, status=status)
