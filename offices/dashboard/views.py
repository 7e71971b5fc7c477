"""An office's pages: the list of its schools with today's roll call and attendance, grade entry, notices
and their reach, leave requests and fee collection, sortable and searchable, and the same as CSV."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offices.dashboard.selectors import SORTS, office_schools, office_totals
from offices.permissions import office_staff_required
from offices.selectors import offices_of_user
from schoolbook.spreadsheets import csv_lines

PAGE_SIZE = 50
SORT_CHOICES = [
    ("name", _("Tên trường")), ("students", _("Học sinh")), ("coverage", _("Đã điểm danh")),
    ("attendance", _("Chuyên cần")), ("grades", _("Nhập điểm")), ("notices", _("Thông báo")),
    ("reach", _("Đã đọc")), ("leave", _("Đơn nghỉ chờ")), ("fees", _("Học phí")),
    ("refreshed", _("Cập nhật")),
]  # fmt: skip


@login_required
def office_home(request):
    """/office/: the office a person works for, or a choice of them."""
    offices = list(offices_of_user(request.user))
    if not offices:
        raise Http404
    if len(offices) == 1:
        return redirect("office_dashboard", code=offices[0].code)
    return render(request, "offices/choose.html", {"offices": offices})


def _listing(request):
    sort = request.GET.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    descending = request.GET.get("dir") == "desc"
    search = request.GET.get("q", "").strip()
    today = timezone.localdate()
    schools = office_schools(
        office=request.office, today=today, search=search, sort=sort, descending=descending
    )
    return schools, {"sort": sort, "descending": descending, "search": search, "today": today}


@office_staff_required
def office_dashboard(request):
    schools, context = _listing(request)
    page = Paginator(schools, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        office=request.office,
        page=page,
        sort_choices=SORT_CHOICES,
        totals=office_totals(office=request.office, today=context["today"]),
    )
    return render(request, "offices/dashboard.html", context)


EXPORT_FIELDS = [
    "ma_truong", "ten_truong", "hoc_sinh", "ngay_so_lieu", "lop_can_diem_danh", "lop_da_diem_danh",
    "luot_diem_danh", "co_mat", "ty_le_chuyen_can", "diem_can_nhap", "diem_da_nhap", "thong_bao_30_ngay",
    "nguoi_nhan", "da_doc", "don_nghi_cho_duyet", "don_nghi_30_ngay", "hoc_phi_phai_thu", "hoc_phi_da_thu",
    "cap_nhat_luc",
]  # fmt: skip


def _export_record(school) -> dict:
    summary = getattr(school, "summary", None)
    values = [school.code, school.name]
    if summary is None:
        values += [None] * (len(EXPORT_FIELDS) - 2)
    else:
        values += [
            summary.students, summary.day.isoformat(), summary.roll_calls_due, summary.roll_calls_taken,
            summary.marked, summary.present,
            None if school.attendance is None else round(school.attendance, 1),
            summary.grades_expected, summary.grades_entered, summary.notices_sent, summary.notice_recipients,
            summary.notice_reached, summary.leave_pending, summary.leave_recent, summary.fees_due,
            summary.fees_paid, timezone.localtime(summary.refreshed_at).isoformat(timespec="minutes"),
        ]  # fmt: skip
    return dict(zip(EXPORT_FIELDS, values, strict=True))


@office_staff_required
def office_export(request):
    """Every school of the list as filtered and sorted, one line each."""
    schools, _ = _listing(request)
    records = (_export_record(school) for school in schools.iterator(chunk_size=500))
    response = StreamingHttpResponse(
        csv_lines(EXPORT_FIELDS, records), content_type="text/csv; charset=utf-8"
    )
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="so-lieu-{request.office.code}-{day}.csv"'
    return response
