"""The gate: the events API the devices call (a bearer token, JSON in and out, no session, no CSRF), the
devices page, the review list of events for unknown students, and the attendance settings page."""

import json

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from attendance.gate.forms import AssignForm, AttendanceSettingsForm, DeviceForm
from attendance.gate.payload import GateEventError, events_parse
from attendance.gate.selectors import device_for_token, devices_with_counts, pending_events
from attendance.gate.services import (
    GateReviewError,
    attendance_settings_update,
    device_deactivate,
    device_register,
    gate_event_assign,
    gate_event_dismiss,
    gate_events_ingest,
)
from attendance.models import AttendanceSettings, GateDevice
from attendance.permissions import principals_required, reviewers_required
from schoolbook.json_errors import json_error

PAGE_SIZE = 50


def _api_error(status: int, code: str, detail: str, **extra) -> JsonResponse:
    response = json_error(code, status, detail=detail, **extra)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="gate"'
    return response


def _bearer(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@csrf_exempt  # a device has no session and no CSRF cookie: its token is the credential
def gate_events_api_view(request):
    """POST one event or {"events": [...]}: 200 with counts, 400 with the reason, 401 for a bad token.
    docs/gate-api.md is the contract."""
    if request.method != "POST":
        response = _api_error(405, "method_not_allowed", gettext("Chỉ nhận POST."))
        response["Allow"] = "POST"
        return response
    device = device_for_token(_bearer(request))
    if device is None:
        return _api_error(
            401, "unauthorized", gettext("Thiếu mã thiết bị, mã sai hoặc thiết bị đã ngừng dùng.")
        )
    try:
        payload = json.loads(request.body)
    except RequestDataTooBig:
        return _api_error(413, "too_large", gettext("Nội dung quá lớn: hãy chia thành nhiều lần gửi."))
    except ValueError:  # not UTF-8, or not JSON
        return _api_error(400, "invalid_json", gettext("Nội dung không phải JSON hợp lệ (UTF-8)."))
    try:
        events = events_parse(payload)
    except GateEventError as error:
        return json_error(**error.as_json())
    return JsonResponse(gate_events_ingest(device=device, events=events).as_json())


@principals_required
def gate_devices_view(request):
    """The list and the register form. A registration answers with the token on this response only: it is
    never stored, and a reload does not show it again."""
    form = DeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, token = device_register(actor=request.user, name=form.cleaned_data["name"])
        api_url = request.build_absolute_uri(reverse("gate_events_api"))
        context = {"device": device, "token": token, "api_url": api_url}
        response = render(request, "attendance/gate_device_token.html", context)
        response["Cache-Control"] = "no-store"
        return response
    context = {
        "form": form,
        "devices": devices_with_counts(),
        "pending": pending_events().count(),
    }
    return render(request, "attendance/gate_devices.html", context, status=400 if form.errors else 200)


@principals_required
@require_POST
def gate_device_deactivate_view(request, pk):
    device = get_object_or_404(GateDevice, pk=pk)
    device_deactivate(actor=request.user, device=device)
    messages.success(request, gettext("Đã ngừng dùng thiết bị %(name)s.") % {"name": device.name})
    return redirect("gate_devices")


@reviewers_required
def gate_review_view(request):
    page = Paginator(pending_events(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "attendance/gate_review.html", {"page": page, "form": AssignForm()})


def _pending_or_404(pk):
    event = pending_events().filter(pk=pk).first()
    if event is None:
        raise Http404
    return event


@reviewers_required
@require_POST
def gate_event_assign_view(request, pk):
    event = _pending_or_404(pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Nhập mã học sinh đúng."))
        return redirect("gate_review")
    try:
        count = gate_event_assign(
            actor_staff=request.staff, event=event, student_code=form.cleaned_data["student_code"]
        )
    except GateReviewError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            gettext("Đã gán %(count)d sự kiện của mã %(ref)s cho học sinh %(code)s.")
            % {"count": count, "ref": event.person_ref, "code": form.cleaned_data["student_code"]},
        )
    return redirect("gate_review")


@reviewers_required
@require_POST
def gate_event_dismiss_view(request, pk):
    event = _pending_or_404(pk)
    try:
        gate_event_dismiss(actor_staff=request.staff, event=event)
    except GateReviewError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("Đã bỏ qua sự kiện của mã %(ref)s.") % {"ref": event.person_ref})
    return redirect("gate_review")


@principals_required
def attendance_settings_view(request):
    form = AttendanceSettingsForm(request.POST or None, instance=AttendanceSettings.current())
    if request.method == "POST" and form.is_valid():
        attendance_settings_update(actor=request.user, **form.values())
        messages.success(request, gettext("Đã lưu cài đặt điểm danh."))
        return redirect("attendance_settings")
    return render(request, "attendance/settings.html", {"form": form}, status=400 if form.errors else 200)
