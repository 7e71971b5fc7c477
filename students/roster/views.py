"""The roster pages for the school's managers (and, for a class's roster and a student's profile, the
teachers and guardians who may see them): staff, teaching assignments, classes, students, a class change
mid-year from the student's profile and the year rollover from the classes page (a transfer to another
school is a request: students.transfers). Each form validates, calls one service of
students.roster.services, shows a RosterError next to the form and redirects with a flash message. Anyone
who may not see a page gets 404 (schoolbook.permissions)."""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from accounts.roles import Role
from schoolbook.confirm import confirmation_token, confirmed
from schoolbook.forms import int_or_none
from schoolbook.permissions import school_role_required
from students.models import GradeLevel, SchoolClass, SchoolYear, StudentStatus
from students.permissions import (
    MANAGERS,
    guardian_of_student_required,
    is_homeroom_teacher_of,
    is_manager,
    teaches_class,
)
from students.roster.forms import EnrolmentMoveForm, StaffAddForm, YearRolloverForm
from students.roster.selectors import (
    archived_classes,
    assignment_list,
    class_roster,
    rollover_preview,
    staff_list,
    student_list,
)
from students.roster.services import RosterError, enrolment_move, year_rollover
from students.selectors import class_list, current_class, current_year, student_profile
from students.services import StaffError, school_year_bounds, staff_add
from students.transfers.profile import transfer_context

PAGE_SIZE = 25


@school_role_required(*MANAGERS)
def staff_list_view(request):
    can_add = request.staff.has_role(Role.SCHOOL_ADMIN, Role.PRINCIPAL)
    form = StaffAddForm(request.POST or None) if can_add else None
    if request.method == "POST" and can_add and form.is_valid():
        try:
            member = staff_add(
                actor=request.user,
                school=request.tenant,
                phone=form.cleaned_data["phone"],
                full_name=form.cleaned_data["full_name"],
                roles=form.cleaned_data["roles"],
            )
        except StaffError as error:
            form.add_error("roles", str(error))
        else:
            messages.success(
                request,
                gettext("Đã thêm “%(name)s”. Người này đăng nhập bằng số điện thoại để đặt mật khẩu.")
                % {"name": member.full_name},
            )
            return redirect("staff_list")
    search = request.GET.get("q", "").strip()
    page = Paginator(staff_list(search=search), 25).get_page(request.GET.get("page"))
    return render(request, "students/staff_list.html", {"page": page, "form": form, "search": search})


@school_role_required(*MANAGERS)
def class_list_view(request):
    """The classes of a school year (the current one unless ?year= says otherwise)."""
    years = list(SchoolYear.objects.order_by("-starts_on"))
    year_id = int_or_none(request.GET.get("year"))
    year = next((y for y in years if y.pk == year_id), None) or next((y for y in years if y.is_current), None)
    classes = list(class_list(year=year)) if year else []
    context = {
        "years": years,
        "year": year,
        "classes": classes,
        "archived": list(archived_classes(year)) if year else [],
    }
    return render(request, "students/class_list.html", context)


def class_detail_view(request, pk):
    """A class's roster. Managers and the class's homeroom teacher see each student's guardians with their
    phones; a subject teacher of the class (a teaching assignment) sees the roster without guardians or
    phones, which the homeroom teacher keeps for contacting families; anyone else gets 404."""
    school_class = (
        SchoolClass.objects.select_related("grade", "year", "homeroom_teacher").filter(pk=pk).first()
    )
    if school_class is None:
        raise Http404
    staff = request.staff
    with_guardians = is_manager(staff) or is_homeroom_teacher_of(staff, school_class)
    if not with_guardians and not teaches_class(staff, school_class):
        raise Http404
    context = {
        "school_class": school_class,
        "students": list(class_roster(school_class, with_guardians=with_guardians)),
        "with_guardians": with_guardians,
        "can_open_profiles": with_guardians,
    }
    return render(request, "students/class_detail.html", context)


@school_role_required(*MANAGERS)
def student_list_view(request):
    """Students with accent-insensitive search (name or student code), filters and pagination."""
    search = request.GET.get("q", "").strip()
    class_id = int_or_none(request.GET.get("class"))
    grade = int_or_none(request.GET.get("grade"))
    status = request.GET.get("status", "")
    if status not in StudentStatus.values:
        status = ""
    students = student_list(search=search, class_id=class_id, grade=grade, status=status)
    page = Paginator(students, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "search": search,
        "class_id": class_id,
        "grade": grade,
        "status": status,
        "classes": SchoolClass.objects.filter(year__is_current=True, archived_at__isnull=True).order_by(
            "grade__number", "name"
        ),
        "grades": GradeLevel.objects.order_by("number"),
        "statuses": StudentStatus.choices,
        "filtered": bool(search or class_id or grade or status),
    }
    return render(request, "students/student_list.html", context)


@guardian_of_student_required
def student_detail_view(request, pk):
    """A student's profile: managers, the homeroom teacher of the student's current class, and the
    student's guardians (students.permissions.can_view_student); anyone else in the school gets 404."""
    student = request.student
    context = {"school": request.tenant, "student": student, "can_manage_people": is_manager(request.staff)}
    if is_manager(request.staff):
        context.update(transfer_context(request, student))
        if student.status == StudentStatus.STUDYING:
            context.update(can_change=True, move_form=move_form(student))
    return render(request, "students/student_detail.html", context)


@school_role_required(*MANAGERS)
def assignment_list_view(request):
    """Teaching assignments (teacher × class × subject) of the current school year."""
    year = current_year()
    class_id = int_or_none(request.GET.get("class"))
    page = Paginator(assignment_list(year=year, class_id=class_id), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "year": year,
        "class_id": class_id,
        "classes": SchoolClass.objects.filter(year=year, archived_at__isnull=True).order_by(
            "grade__number", "name"
        ),
    }
    return render(request, "students/assignment_list.html", context)


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
