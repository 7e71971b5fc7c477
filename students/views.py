from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from messaging.models import Message
from schoolbook.audit.models import AuditEvent
from schoolbook.permissions import school_role_required
from students.forms import StaffAddForm
from students.models import Role
from students.selectors import staff_counts, staff_list
from students.services import StaffError, staff_add

MANAGERS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL, Role.VICE_PRINCIPAL)


def school_home(request):
    """Each role sees the figures it needs; the access middleware has already checked membership."""
    staff = request.staff
    context = {"counts": staff_counts(), "is_manager": staff.has_role(*MANAGERS)}
    if context["is_manager"]:
        context["recent_events"] = AuditEvent.objects.select_related("actor")[:10]
        context["messages_sent"] = Message.objects.filter(status=Message.Status.SENT).count()
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
                request=request,
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
