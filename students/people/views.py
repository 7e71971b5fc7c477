"""People one by one: thin pages over students.people.services. Staff pages are for school admins
and principals (who may already add staff on the staff list); student and guardian pages for the managers
who may already move or transfer a student (students.permissions.MANAGERS). Anyone else gets 404.
Removing a staff member, withdrawing a student and removing a guardian first show what will happen."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.roles import Role
from schoolbook.permissions import school_role_required
from schoolbook.phones import format_national
from students.models import SchoolClass, StudentStatus
from students.people import selectors, services
from students.people.forms import GuardianForm, StaffEditForm, StudentForm, WithdrawForm
from students.permissions import MANAGERS
from students.selectors import current_class, current_year, student_profile
from students.services import StaffError

STAFF_EDITORS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)


def _staff_or_404(pk):
    staff = selectors.staff_member(pk)
    if staff is None:
        raise Http404
    return staff


def _student_or_404(pk):
    student = student_profile(pk)
    if student is None:
        raise Http404
    return student


def _link_or_404(student, link_pk):
    link = selectors.guardian_link(student, link_pk)
    if link is None:
        raise Http404
    return link


# --- staff ---------------------------------------------------------------------------------------------


@school_role_required(*STAFF_EDITORS)
def staff_edit_view(request, pk):
    staff = _staff_or_404(pk)
    initial = {
        "full_name": staff.full_name,
        "roles": staff.roles,
        "position": staff.position,
        "subjects": list(staff.subjects.all()),
    }
    form = StaffEditForm(
        request.POST or None, initial=initial, subjects=selectors.teachable_subjects(request.tenant)
    )
    if request.method == "POST" and form.is_valid():
        try:
            staff = services.staff_edit(actor=request.user, staff=staff, **form.cleaned_data)
        except (StaffError, services.PeopleError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, gettext("Đã lưu thông tin của %(name)s.") % {"name": staff.full_name})
            return redirect("staff_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "students/people/staff_edit.html", {"staff": staff, "form": form}, status=status)


@school_role_required(*STAFF_EDITORS)
@require_POST
def staff_active_view(request, pk):
    """Deactivate (access ends at once) or reactivate; reversible, so one button."""
    staff = _staff_or_404(pk)
    active = request.POST.get("active") == "1"
    try:
        services.staff_set_active(actor=request.user, school=request.tenant, staff=staff, active=active)
    except services.PeopleError as error:
        messages.error(request, str(error))
        return redirect("staff_edit", pk=pk)
    text = gettext("%(name)s làm việc trở lại.") if active else gettext("%(name)s đã được cho tạm nghỉ.")
    messages.success(request, text % {"name": staff.full_name})
    return redirect("staff_edit", pk=pk)


@school_role_required(*STAFF_EDITORS)
def staff_remove_view(request, pk):
    """GET: what a removal will release and keep; POST (the confirm button): remove."""
    staff = _staff_or_404(pk)
    if staff.left_on is not None:
        messages.error(request, gettext("%(name)s đã rời trường.") % {"name": staff.full_name})
        return redirect("staff_edit", pk=pk)
    error = None
    if request.method == "POST":
        try:
            released = services.staff_remove(actor=request.user, school=request.tenant, staff=staff)
        except services.PeopleError as refused:
            error = str(refused)
        else:
            text = gettext("%(name)s đã rời trường.") % {"name": staff.full_name}
            if released["homeroom"] or released["assignments"]:
                text += " " + gettext("Hãy giao lại: %(duties)s.") % {
                    "duties": ", ".join(released["homeroom"] + released["assignments"])
                }
            messages.success(request, text)
            return redirect("staff_list")
    homeroom, assignments = services.staff_current_duties(staff)
    context = {"staff": staff, "homeroom": homeroom, "assignments": assignments, "error": error}
    return render(request, "students/people/staff_remove.html", context, status=400 if error else 200)


# --- students ------------------------------------------------------------------------------------------


@school_role_required(*MANAGERS)
def student_add_view(request):
    year = current_year()
    classes = SchoolClass.objects.filter(year=year).order_by("grade__number", "name")
    today = timezone.localdate()
    initial = {"starts_on": min(max(today, year.starts_on), year.ends_on)} if year else {}
    form = StudentForm(request.POST or None, classes=classes, initial=initial)
    if request.method == "POST" and year is not None and form.is_valid():
        try:
            student = services.student_add(
                actor=request.user,
                school=request.tenant,
                profile=form.profile(),
                school_class=form.cleaned_data["school_class"],
                starts_on=form.cleaned_data["starts_on"],
                guardian=form.guardian(),
            )
        except services.PeopleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext("Đã thêm học sinh %(name)s vào lớp %(class)s.")
                % {"name": student.full_name, "class": form.cleaned_data["school_class"].name},
            )
            return redirect("student_detail", pk=student.pk)
    context = {"form": form, "year": year, "has_classes": classes.exists()}
    status = 400 if request.method == "POST" else 200
    return render(request, "students/people/student_add.html", context, status=status)


@school_role_required(*MANAGERS)
def student_edit_view(request, pk):
    student = _student_or_404(pk)
    school_class = current_class(student)
    initial = {name: getattr(student, name) for name in services.STUDENT_FIELDS}
    form = StudentForm(
        request.POST or None,
        initial=initial,
        student=student,
        grade=school_class.grade.number if school_class else None,
        year=school_class.year if school_class else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.student_edit(actor=request.user, student=student, profile=form.profile())
        except services.PeopleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, gettext("Đã lưu hồ sơ học sinh."))
            return redirect("student_detail", pk=pk)
    status = 400 if request.method == "POST" else 200
    context = {"student": student, "form": form}
    return render(request, "students/people/student_edit.html", context, status=status)


@school_role_required(*MANAGERS)
def student_withdraw_view(request, pk):
    """GET: the form with what will happen; POST: withdraw."""
    student = _student_or_404(pk)
    if student.status != StudentStatus.STUDYING:
        raise Http404
    form = WithdrawForm(request.POST or None, initial={"on_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.student_withdraw(actor=request.user, student=student, **form.cleaned_data)
        except services.PeopleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext("%(name)s đã nghỉ học từ ngày %(date)s.")
                % {"name": student.full_name, "date": form.cleaned_data["on_date"].strftime("%d/%m/%Y")},
            )
            return redirect("student_detail", pk=pk)
    status = 400 if request.method == "POST" else 200
    context = {"student": student, "form": form}
    return render(request, "students/people/student_withdraw.html", context, status=status)


# --- guardians -----------------------------------------------------------------------------------------


@school_role_required(*MANAGERS)
def guardian_add_view(request, pk):
    student = _student_or_404(pk)
    form = GuardianForm(request.POST or None, adding=True)
    if request.method == "POST" and form.is_valid():
        try:
            link, existed = services.guardian_add(
                actor=request.user,
                school=request.tenant,
                student=student,
                **form.cleaned_data,
            )
        except services.PeopleError as error:
            form.add_error(None, str(error))
        else:
            if existed:
                text = gettext(
                    "Số %(phone)s đã là của phụ huynh %(name)s ở trường: đã liên kết với học sinh, không tạo "
                    "phụ huynh mới."
                )
            else:
                text = gettext("Đã thêm phụ huynh %(name)s (%(phone)s).")
            messages.success(
                request,
                text
                % {"name": link.guardian.full_name, "phone": format_national(form.cleaned_data["phone"])},
            )
            return redirect("student_detail", pk=pk)
    status = 400 if request.method == "POST" else 200
    context = {"student": student, "form": form}
    return render(request, "students/people/guardian_form.html", context, status=status)


@school_role_required(*MANAGERS)
def guardian_edit_view(request, pk, link_pk):
    student = _student_or_404(pk)
    link = _link_or_404(student, link_pk)
    guardian = link.guardian
    initial = {
        "full_name": guardian.full_name,
        "phone": format_national(guardian.phone),
        "relationship": link.relationship,
        "email": guardian.email,
    }
    form = GuardianForm(request.POST or None, initial=initial, adding=False)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.guardian_edit(
                actor=request.user, school=request.tenant, link=link, **form.cleaned_data
            )
        except services.PeopleError as error:
            form.add_error(None, str(error))
        else:
            if changed.guardian_id != guardian.pk:
                text = gettext(
                    "Số %(phone)s đã là của phụ huynh %(name)s ở trường: học sinh được liên kết với "
                    "phụ huynh này thay vì tạo phụ huynh mới."
                )
            else:
                text = gettext("Đã lưu thông tin phụ huynh %(name)s (%(phone)s).")
            messages.success(
                request,
                text
                % {"name": changed.guardian.full_name, "phone": format_national(form.cleaned_data["phone"])},
            )
            return redirect("student_detail", pk=pk)
    status = 400 if request.method == "POST" else 200
    context = {"student": student, "form": form, "link": link, "others": selectors.other_children(link)}
    return render(request, "students/people/guardian_form.html", context, status=status)


@school_role_required(*MANAGERS)
def guardian_remove_view(request, pk, link_pk):
    """GET: what removing the guardian from this student does; POST: remove."""
    student = _student_or_404(pk)
    link = _link_or_404(student, link_pk)
    if request.method == "POST":
        services.guardian_unlink(actor=request.user, school=request.tenant, link=link)
        messages.success(
            request,
            gettext("%(name)s không còn là phụ huynh của %(student)s.")
            % {"name": link.guardian.full_name, "student": student.full_name},
        )
        return redirect("student_detail", pk=pk)
    context = {"student": student, "link": link, "others": selectors.other_children(link)}
    return render(request, "students/people/guardian_remove.html", context)


@school_role_required(*MANAGERS)
@require_POST
def guardian_primary_view(request, pk, link_pk):
    student = _student_or_404(pk)
    link = _link_or_404(student, link_pk)
    services.guardian_set_primary(actor=request.user, link=link)
    messages.success(request, gettext("%(name)s là liên hệ chính.") % {"name": link.guardian.full_name})
    return redirect("student_detail", pk=pk)
