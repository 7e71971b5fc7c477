from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from accounts.roles import Role
from attendance.stats import attendance_tiles
from messaging.models import Delivery
from schoolbook.audit.models import AuditEvent
from schoolbook.forms import int_or_none
from schoolbook.permissions import school_role_required
from students.forms import StaffAddForm
from students.models import GradeLevel, SchoolClass, SchoolYear, StudentStatus
from students.permissions import (
    MANAGERS,
    guardian_of_student_required,
    is_homeroom_teacher_of,
    is_manager,
    teaches_class,
)
from students.selectors import (
    assignment_list,
    children_here,
    class_list,
    class_roster,
    current_year,
    homeroom_classes,
    staff_counts,
    staff_list,
    student_list,
)
from students.services import StaffError, staff_add
from students.setup.checklist import setup_steps
from students.setup.selectors import archived_classes
from students.transfers.profile import transfer_context
from students.transfers.selectors import transfers_incoming
from students.views_roster import move_form

PAGE_SIZE = 25


def school_home(request):
    """Each role sees the figures it needs; the access middleware has already checked membership.
    A guardian who is not staff here sees their children in this school."""
    staff = request.staff
    if staff is None:
        context = {"school": request.tenant, "children": children_here(request.guardian)}
        return render(request, "students/guardian_home.html", context)
    context = {
        "counts": staff_counts(),
        "is_manager": staff.has_role(*MANAGERS),
        "sets_grade_rules": staff.has_role(Role.SCHOOL_ADMIN, Role.PRINCIPAL),
        "homeroom_classes": homeroom_classes(staff),
        "children": children_here(request.guardian) if request.guardian else [],
    }
    if context["is_manager"]:
        context["recent_events"] = AuditEvent.objects.select_related("actor")[:10]
        context["messages_sent"] = Delivery.objects.filter(
            status__in=[Delivery.Status.SENT, Delivery.Status.DELIVERED]
        ).count()
        context["attendance_tiles"] = attendance_tiles()
        context["incoming_transfers"] = list(transfers_incoming(school=request.tenant, pending_only=True)[:5])
        steps = setup_steps()
        done = sum(step.done for step in steps)
        if done < len(steps):
            context.update(setup_steps=steps, setup_steps_done=done)
    return render(request, "students/school_home.html", context)


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
