"""The data links' pages: the console's link form (platform admins, past 2FA, as the rest of the console),
and the office's sent log with its filters and the replay of what was rejected or could not be sent (the
office's staff: offices.permissions.office_staff_required; 404 for anyone else)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from offices.links.forms import DataLinkForm, LogFilterForm
from offices.links.models import DataLink, LinkRecord
from offices.links.protocol import RECORD_FIELDS
from offices.links.selectors import log_counts, log_last_success, log_records
from offices.links.services import REPLAYABLE, link_save, records_replay
from offices.models import EducationOffice
from offices.permissions import office_staff_required
from offices.setup.views import console_view
from schoolbook.confirm import confirm_page, confirmation_token, confirmed

PAGE_SIZE = 50


@console_view
def console_office_link(request, code):
    office = get_object_or_404(EducationOffice, code=code)
    link = DataLink.objects.filter(office=office).first()
    form = DataLinkForm(request.POST or None, link=link)
    if request.method == "POST" and form.is_valid():
        link_save(actor=request.user, office=office, cleaned=form.link_values())
        messages.success(request, gettext("Đã lưu kết nối dữ liệu của “%(name)s”.") % {"name": office.name})
        return redirect("console_office_link", code=office.code)
    context = {"office": office, "link": link, "form": form, "fields": RECORD_FIELDS}
    return render(request, "offices/console_link.html", context, status=400 if form.errors else 200)


def _filters(data) -> LogFilterForm:
    form = LogFilterForm(data)
    form.is_valid()
    return form


def _log_url(office, form: LogFilterForm) -> str:
    query = QueryDict(mutable=True)
    query.update(form.query())
    url = reverse("office_links", kwargs={"code": office.code})
    return f"{url}?{query.urlencode()}" if query else url


@office_staff_required
def office_links(request):
    office = request.office
    form = _filters(request.GET)
    records = log_records(office=office, filters=form.log_filter())
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = log_counts(office=office)
    context = {
        "office": office,
        "link": DataLink.objects.filter(office=office).first(),
        "status_counts": [(value, label, counts.get(value, 0)) for value, label in LinkRecord.Status.choices],
        "last_success": log_last_success(office=office),
        "form": form,
        "page": page,
        "replayable": records.filter(status__in=REPLAYABLE).count(),
        "replayable_statuses": REPLAYABLE,
    }
    return render(request, "offices/links.html", context)


@office_staff_required
@require_POST
def office_links_replay(request):
    """Send again the rejected or unsent records among those the filters select (one record: its id)."""
    office = request.office
    form = _filters(request.POST)
    back = _log_url(office, form)
    chosen = log_records(office=office, filters=form.log_filter()).filter(status__in=REPLAYABLE)
    ids = sorted(chosen.values_list("pk", flat=True))
    if not ids:
        messages.info(request, gettext("Không có bản ghi nào cần gửi lại."))
        return redirect(back)
    token = confirmation_token("office-links-replay", office.pk, ids)
    if not confirmed(request, token):
        count = len(ids)
        return confirm_page(
            request,
            title=ngettext("Gửi lại %(count)d bản ghi?", "Gửi lại %(count)d bản ghi?", count)
            % {"count": count},
            action=request.path,
            token=token,
            fields=form.query(),
            summary=[
                gettext(
                    "Các bản ghi bị trung tâm từ chối hoặc chưa gửi được sẽ được gửi lại, với cùng mã chống "
                    "trùng: bản nào trung tâm đã có sẽ không bị lưu hai lần."
                ),
                gettext(
                    "Hãy gửi lại sau khi trung tâm hoặc cấu hình kết nối đã sửa điều khiến chúng bị từ chối."
                ),
            ],
            button=gettext("Gửi lại"),
            back=back,
        )
    count = records_replay(actor=request.user, office=office, records=LinkRecord.objects.filter(pk__in=ids))
    text = ngettext("Đã xếp %(count)d bản ghi để gửi lại.", "Đã xếp %(count)d bản ghi để gửi lại.", count)
    messages.success(request, text % {"count": count})
    return redirect(back)
