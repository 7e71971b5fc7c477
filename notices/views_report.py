"""A published notice's delivery report: counts by channel and status, who has read it, the list per
recipient with the channels tried and the reasons, "resend to failed" and the CSV export. For the notice's
author and the principal / school admin only; everyone else (other staff, its own recipients, another
school's people) gets 404."""

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from messaging.outbox.selectors import resend_estimate
from messaging.reports.selectors import (
    OUTCOMES,
    delivery_csv,
    delivery_report,
    delivery_rows,
    failed_message_ids,
)
from notices.models import Notice, Status
from notices.permissions import is_notice_manager
from notices.selectors import (
    notice_attach_recipient_facts,
    notice_read_counts,
    notice_read_receipts,
    notice_recipient_children,
)
from notices.services import notice_resend_failed
from schoolbook.confirm import confirm_page, confirmed


def _reported_or_404(request, pk) -> Notice:
    """The notice if it was sent and the person wrote it or manages the school's notices."""
    staff = getattr(request, "staff", None)
    notice = Notice.objects.filter(pk=pk, status=Status.PUBLISHED).first()
    if notice is None or staff is None or not (notice.author_id == staff.pk or is_notice_manager(staff)):
        raise Http404
    return notice


def notice_report_view(request, pk):
    notice = _reported_or_404(request, pk)
    status = request.GET.get("status", "")
    status = status if status in OUTCOMES else ""
    page = delivery_rows(notice.reference, status=status or None, page=request.GET.get("page"))
    notice_attach_recipient_facts(notice, page.object_list)
    context = {
        "notice": notice,
        "report": delivery_report(notice.reference),
        "reads": notice_read_counts(notice),
        "page": page,
        "status": status,
        "outcomes": OUTCOMES,
    }
    return render(request, "notices/report.html", context)


def notice_report_csv_view(request, pk):
    notice = _reported_or_404(request, pk)
    read_at = notice_read_receipts(notice)
    children = notice_recipient_children(notice)

    def read_column(message) -> str:
        when = read_at(message)
        return timezone.localtime(when).strftime("%d/%m/%Y %H:%M") if when else ""

    columns = [(gettext("Phụ huynh của"), lambda m: children(m) or ""), (gettext("Đã đọc lúc"), read_column)]
    lines = delivery_csv(notice.reference, extra_columns=columns)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bao-cao-thong-bao-{notice.pk}.csv"'
    return response


@require_POST
def notice_resend_view(request, pk):
    """ "Resend to failed" costs money again: a POST without the preview's token (or a stale one, e.g. more
    messages failed since) shows what will be resent and the cost; only the POST with the token resends."""
    notice = _reported_or_404(request, pk)
    failed = failed_message_ids(notice.reference)
    estimate = resend_estimate(failed, notice.channels or None)
    if failed and not confirmed(request, estimate["token"]):
        return confirm_page(
            request,
            title=gettext("Gửi lại cho các tin lỗi?"),
            action=request.path,
            token=estimate["token"],
            summary=[
                gettext(
                    "%(count)s tin của thông báo “%(title)s” chưa đến được người nhận và sẽ được gửi lại."
                )
                % {"count": len(failed), "title": notice.title}
            ],
            estimate=estimate,
            button=gettext("Xác nhận gửi lại"),
            back=reverse("notice_report", kwargs={"pk": notice.pk}),
        )
    resent, unreachable = notice_resend_failed(actor=request.user, notice=notice)
    if resent or unreachable:
        text = gettext("Đã gửi lại %(n)s tin.") % {"n": resent}
        if unreachable:
            text += " " + gettext("%(n)s tin không còn kênh nào liên lạc được.") % {"n": unreachable}
        messages.success(request, text)
    else:
        messages.info(request, gettext("Không có tin lỗi nào cần gửi lại."))
    return redirect("notice_report", pk=notice.pk)
