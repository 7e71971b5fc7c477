"""Transfers between schools as pages (students.transfers.services). The sending school's managers ask
from the student's profile ("Chuyển trường") and may withdraw a pending request; the receiving school's
managers see incoming requests on their home page and at transfers/, and accept (their class, their code)
or decline with a reason. Anyone else gets 404, and so does a request addressed to another school."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from schoolbook.permissions import school_role_required
from students.models import SchoolClass
from students.permissions import MANAGERS
from students.roster.views import profile_page
from students.selectors import student_profile
from students.transfers.forms import TransferAcceptForm, TransferDeclineForm
from students.transfers.profile import transfer_form
from students.transfers.selectors import transfer_incoming_get, transfers_incoming, transfers_of_student
from students.transfers.services import (
    TransferError,
    transfer_accept,
    transfer_decline,
    transfer_request_create,
    transfer_request_withdraw,
)

PAGE_SIZE = 20


def _student_or_404(pk):
    student = student_profile(pk)
    if student is None:
        raise Http404
    return student


@school_role_required(*MANAGERS)
def student_transfer_view(request, pk):
    """POST: ask another school to take the student. The student studies here until that school accepts."""
    student = _student_or_404(pk)
    if request.method != "POST":
        return redirect("student_detail", pk=pk)
    form = transfer_form(request.tenant, request.POST)
    if form.is_valid():
        try:
            transfer = transfer_request_create(
                actor=request.user,
                from_school=request.tenant,
                student=student,
                to_school=form.cleaned_data["to_school"],
                on_date=form.cleaned_data["on_date"],
                reason=form.cleaned_data["reason"],
            )
        except TransferError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext(
                    "Đã gửi yêu cầu chuyển %(name)s sang %(school)s. "
                    "Học sinh vẫn học ở trường cho đến khi trường đó nhận."
                )
                % {"name": student.full_name, "school": transfer.to_school.name},
            )
            return redirect("student_detail", pk=pk)
    return profile_page(request, student, transfer=form, status=400)


@school_role_required(*MANAGERS)
def transfer_withdraw_view(request, pk, transfer_pk):
    student = _student_or_404(pk)
    transfer = (
        transfers_of_student(school=request.tenant, student_id=student.pk).filter(pk=transfer_pk).first()
    )
    if transfer is None:
        raise Http404
    if request.method == "POST":
        try:
            transfer_request_withdraw(actor=request.user, transfer=transfer)
        except TransferError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, gettext("Đã rút yêu cầu chuyển trường."))
    return redirect("student_detail", pk=pk)


@school_role_required(*MANAGERS)
def transfer_list_view(request):
    """Requests addressed to this school: pending first, then the decided ones, newest first."""
    transfers = transfers_incoming(school=request.tenant).order_by("status", "-requested_at")
    page = Paginator(transfers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "students/transfers/transfer_list.html", {"page": page})


def _classes():
    return SchoolClass.objects.filter(year__is_current=True, archived_at__isnull=True).order_by(
        "grade__number", "name"
    )


def _detail(request, transfer, *, accept=None, decline=None, status=200):
    context = {
        "transfer": transfer,
        "accept_form": accept
        or TransferAcceptForm(classes=_classes(), initial={"student_code": transfer.student_code}),
        "decline_form": decline or TransferDeclineForm(),
    }
    return render(request, "students/transfers/transfer_detail.html", context, status=status)


def _incoming_or_404(request, pk):
    transfer = transfer_incoming_get(school=request.tenant, pk=pk)
    if transfer is None:
        raise Http404
    return transfer


@school_role_required(*MANAGERS)
def transfer_detail_view(request, pk):
    return _detail(request, _incoming_or_404(request, pk))


@school_role_required(*MANAGERS)
def transfer_accept_view(request, pk):
    transfer = _incoming_or_404(request, pk)
    if request.method != "POST":
        return redirect("transfer_detail", pk=pk)
    form = TransferAcceptForm(request.POST, classes=_classes())
    if form.is_valid():
        try:
            student = transfer_accept(
                actor=request.user,
                transfer=transfer,
                to_class=form.cleaned_data["to_class"],
                student_code=form.cleaned_data["student_code"],
            )
        except TransferError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext("Đã nhận %(name)s vào lớp %(class)s từ ngày %(date)s.")
                % {"name": student.full_name, "class": form.cleaned_data["to_class"].name,
                   "date": transfer.on_date.strftime("%d/%m/%Y")},
            )  # fmt: skip
            return redirect("student_detail", pk=student.pk)
    return _detail(request, transfer, accept=form, status=400)


@school_role_required(*MANAGERS)
def transfer_decline_view(request, pk):
    transfer = _incoming_or_404(request, pk)
    if request.method != "POST":
        return redirect("transfer_detail", pk=pk)
    form = TransferDeclineForm(request.POST)
    if form.is_valid():
        try:
            transfer_decline(actor=request.user, transfer=transfer, reason=form.cleaned_data["reason"])
        except TransferError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, gettext("Đã từ chối yêu cầu chuyển trường của %(name)s.")
                             % {"name": transfer.full_name})  # fmt: skip
            return redirect("transfer_list")
    return _detail(request, transfer, decline=form, status=400)
