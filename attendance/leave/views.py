"""Leave request pages under /s/<code>/attendance/leave/: the guardian's requests and form, the staff's list
(what waits for me, and every request I may see, filtered), one request with its decisions, and its
attachment. Who may not see a request gets 404 (attendance.leave.selectors.leave_visible)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from attendance.leave.forms import LeaveDecisionForm, LeaveFilterForm, LeaveRequestForm
from attendance.leave.selectors import (
    leave_filter_classes,
    leave_list,
    leave_visible,
    leave_waiting,
    leave_waiting_count,
    parent_leaves,
)
from attendance.leave.services import LeaveError, leave_cancel, leave_decide, leave_request
from attendance.models import LEAVE_WAITING, AttendanceSettings, LeaveRequest
from attendance.permissions import can_decide, is_class_teacher_of, is_principal, staff_required
from schoolbook.forms import int_or_none
from schoolbook.uploads import attachment_response
from students.permissions import is_guardian_of

PAGE_SIZE = 25


def _guardian_required(request):
    if request.guardian is None:
        raise Http404


def _visible_or_404(request, pk) -> LeaveRequest:
    leave = leave_visible(pk, staff=request.staff, guardian=request.guardian)
    if leave is None:
        raise Http404
    return leave


# --- guardians ------------------------------------------------------------------------------------------


def leave_parent_list_view(request):
    _guardian_required(request)
    # One family's requests, a few a year: read whole (from the cache), not counted and then sliced.
    leaves = parent_leaves(request.guardian)
    page = Paginator(leaves, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "attendance/leave_parent_list.html", {"page": page, "waiting": LEAVE_WAITING})


def leave_request_view(request):
    _guardian_required(request)
    initial = {"student": int_or_none(request.GET.get("student"))}
    form = LeaveRequestForm(
        request.POST or None, request.FILES or None, guardian=request.guardian, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            leave_request(
                actor=request.user,
                guardian=request.guardian,
                student=data["student"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                sessions=data["sessions"],
                reason=data["reason"],
                attachment=data["attachment"],
            )
        except LeaveError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(
                request, gettext("Đã gửi đơn xin nghỉ. Giáo viên chủ nhiệm sẽ xem và trả lời qua tin nhắn.")
            )
            return redirect("leave_parent_list")
    return render(request, "attendance/leave_form.html", {"form": form})


@require_POST
def leave_cancel_view(request, pk):
    leave = _visible_or_404(request, pk)
    if not is_guardian_of(request.guardian, leave.student):
        raise Http404
    try:
        leave_cancel(actor=request.user, guardian=request.guardian, leave=leave)
    except LeaveError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("Đã hủy đơn xin nghỉ."))
    return redirect("leave_parent_list")


# --- staff ----------------------------------------------------------------------------------------------


@staff_required
def leave_list_view(request):
    """Tab "waiting": what waits for my decision. Tab "all": every request I may see, filtered."""
    tab = request.GET.get("tab") or "waiting"
    if tab not in ("waiting", "all"):
        raise Http404
    staff = request.staff
    filters = None
    if tab == "waiting":
        leaves = leave_waiting(staff)
    else:
        filters = LeaveFilterForm(request.GET, classes=leave_filter_classes(staff))
        leaves = leave_list(staff, **filters.filters())
    page = Paginator(leaves, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "tab": tab,
        "filters": filters,
        "filtered": bool(request.GET.keys() - {"tab", "page"}),
        "waiting_count": page.paginator.count if tab == "waiting" else leave_waiting_count(staff),
    }
    return render(request, "attendance/leave_list.html", context)


def leave_detail_view(request, pk):
    leave = _visible_or_404(request, pk)
    is_parent = is_guardian_of(request.guardian, leave.student)
    context = {
        "leave": leave,
        "is_parent": is_parent,
        "can_decide": can_decide(request.staff, leave),
        "can_cancel": is_parent and leave.status in LEAVE_WAITING,
        "decision_form": LeaveDecisionForm(),
        "long_leave_days": AttendanceSettings.current().long_leave_days,
    }
    return render(request, "attendance/leave_detail.html", context)


@require_POST
def leave_decide_view(request, pk):
    """A decision by someone who may never take one on this request is a 404; one the request no longer
    allows (decided meanwhile, or cancelled) is explained."""
    leave = _visible_or_404(request, pk)
    staff = request.staff
    if not (is_principal(staff) or is_class_teacher_of(staff, leave)):
        raise Http404
    action = request.POST.get("action")
    if action not in ("approve", "reject"):
        raise Http404  # our form always says which
    approve = action == "approve"
    form = LeaveDecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        leave = leave_decide(actor_staff=staff, leave=leave, approve=approve, comment=comment)
    except LeaveError as error:
        messages.error(request, str(error))
        return redirect("leave_detail", pk=pk)
    messages.success(request, _outcome(leave))
    return redirect("leave_list")


def _outcome(leave: LeaveRequest) -> str:
    if leave.status == LeaveRequest.Status.PENDING_PRINCIPAL:
        return gettext(
            "Đã đồng ý. Đơn nghỉ %(days)d ngày được chuyển lên hiệu trưởng duyệt; phụ huynh đã được báo."
        ) % {"days": leave.days}
    if leave.status == LeaveRequest.Status.APPROVED:
        return gettext("Đã duyệt đơn của %(name)s; phụ huynh đã được báo.") % {"name": leave.student}
    return gettext("Đã không duyệt đơn của %(name)s; phụ huynh đã được báo lý do.") % {"name": leave.student}


def leave_attachment_view(request, pk):
    """Only to those who may see the request; the type read from the file's bytes, never guessed."""
    leave = _visible_or_404(request, pk)
    if not leave.attachment:
        raise Http404
    return attachment_response(leave.attachment, stem=f"don-xin-nghi-{leave.pk}")
