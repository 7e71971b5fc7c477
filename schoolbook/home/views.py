"""A school's home page (/s/<code>/), for staff and for guardians."""

from django.db import connection
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.roles import Role
from payments.permissions import can_view_fees
from schoolbook.caching import cached_part
from schoolbook.home.selectors import manager_figures, staff_counts
from students.permissions import MANAGERS
from students.selectors import children_here, children_of_guardian, children_version, homeroom_classes


def school_home(request):
    """Each role sees the figures it needs; the access middleware has already checked membership.
    A guardian who is not staff here sees their children in this school."""
    staff = request.staff
    if staff is None:
        return render(request, "students/guardian_home.html", {"children": _children(request)})
    context = {
        "counts": staff_counts(),
        "is_manager": staff.has_role(*MANAGERS),
        "teaches": staff.has_role(Role.TEACHER, *MANAGERS),  # an accountant alone keeps no gradebook
        "sees_fees": can_view_fees(staff),
        "sets_grade_rules": staff.has_role(Role.SCHOOL_ADMIN, Role.PRINCIPAL),
        "homeroom_classes": homeroom_classes(staff),
        "children": children_here(request.guardian) if request.guardian else [],
    }
    if context["is_manager"]:
        context.update(manager_figures(request.tenant))
    return render(request, "students/school_home.html", context)


def _children(request) -> str:
    """The guardian's children here with their links, rendered, kept per school, viewer, day (an enrolment
    ends by itself) and version of their rows (students.selectors.children_version)."""
    guardian = request.guardian
    return cached_part(
        "school-children",
        schemas=[connection.schema_name],
        viewer=request.user.pk,
        version=(guardian.pk, timezone.localdate(), children_version(guardian)),
        build=lambda: (
            render_to_string(
                "students/_children.html", {"children": list(children_of_guardian(guardian).values())}
            ),
            None,
        ),
    )
