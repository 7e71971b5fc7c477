"""The pages of a notice's questions: a blank question for the compose form (HTMX), a guardian's answers for
one child (from the notice's page), and, for the notice's author and the principal / school admin, the
results with who has not answered, the reminder (after a confirmation with its cost) and the CSV.

Who may do what follows the notices app: the results are the delivery report's readers' (its author and the
managers); answering is for a guardian the notice reached, for a child of theirs it asks about; anyone else
gets 404."""

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from messaging.outbox.selectors import items_estimate
from notices.models import Notice, Status
from notices.permissions import is_notice_manager
from notices.polls.forms import PREFIX, PRESET_MEETING, blank_question
from notices.polls.selectors import answers_csv_records, guardian_sheet, poll_results
from notices.polls.services import (
    AnswersInvalid,
    PollRefused,
    answers_remind,
    answers_submit,
    reminder_plan,
)
from notices.services import notice_link
from notices.views import notice_detail_context, staff_required
from schoolbook.audit.services import audit_record
from schoolbook.confirm import confirm_page, confirmation_token, confirmed
from schoolbook.forms import int_or_none
from schoolbook.spreadsheets import csv_lines


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@staff_required
@require_GET
def question_blank_view(request):
    """HTMX: one more question for the compose form (blank, or the meeting's "Tham dự"), and the formset's
    count updated out of band."""
    index = int_or_none(request.GET.get(f"{PREFIX}-TOTAL_FORMS")) or 0
    if not 0 <= index < 100:
        raise Http404
    preset = PRESET_MEETING if request.GET.get("preset") == PRESET_MEETING else ""
    context = {"question": blank_question(index, preset=preset), "total": index + 1, "prefix": PREFIX}
    return render(request, "notices/polls/_question_added.html", context)


@require_POST
def answer_view(request, pk, sheet_pk):
    """A guardian's answers for one child: saved whole or not at all. Errors show next to each question (the
    page again, or only the child's part for HTMX); after the deadline the answers only show."""
    context = notice_detail_context(request, pk)
    view = guardian_sheet(context["notice"], request.guardian, sheet_pk)
    if view is None:
        raise Http404
    raw = {
        q.pk: (request.POST.getlist(f"q{q.pk}"), request.POST.get(f"q{q.pk}-text", ""))
        for q in view.questions
    }
    saved = False
    try:
        answers_submit(actor_guardian=request.guardian, sheet=view.sheet, raw=raw)
    except AnswersInvalid as invalid:
        view.errors, view.typed = invalid.errors, raw
    except PollRefused as refused:
        messages.error(request, str(refused))
        return redirect("notice_detail", pk=pk)
    else:
        saved = True
        if not _htmx(request):
            messages.success(
                request, gettext("Đã lưu câu trả lời cho %(name)s.") % {"name": view.sheet.student}
            )
            return redirect(reverse("notice_detail", kwargs={"pk": pk}) + f"#sheet-{sheet_pk}")
        view = guardian_sheet(context["notice"], request.guardian, sheet_pk)
    if _htmx(request):
        sheet_context = {
            "view": view,
            "notice": context["notice"],
            "poll_open": context["poll_open"],
            "saved": saved,
        }
        return render(request, "notices/polls/_sheet.html", sheet_context)
    for shown in context["sheets"]:
        if shown.sheet.pk == view.sheet.pk:
            shown.errors, shown.typed = view.errors, view.typed
    return render(request, "notices/detail.html", context)


def _results_or_404(request, pk) -> Notice:
    """A published notice with questions, for its author and the managers (the delivery report's readers)."""
    staff = getattr(request, "staff", None)
    notice = Notice.objects.filter(pk=pk, status=Status.PUBLISHED).first()
    if notice is None or staff is None or not (notice.author_id == staff.pk or is_notice_manager(staff)):
        raise Http404
    if not notice.questions.exists():
        raise Http404
    return notice


def results_view(request, pk):
    """Counts per question and option, kept live by HTMX (the counts part again every 30 s), who has not
    answered by class, the reminder and the CSV."""
    notice = _results_or_404(request, pk)
    context = {"notice": notice, "results": poll_results(notice)}
    if _htmx(request):
        return render(request, "notices/polls/_counts.html", context)
    return render(request, "notices/polls/results.html", context)


def answers_csv_view(request, pk):
    """Every child asked about with their answers; text cells formula-safe (schoolbook.spreadsheets);
    audited, as every export of personal data."""
    notice = _results_or_404(request, pk)
    fields, records = answers_csv_records(notice)
    audit_record(actor=request.user, action="notice.answers_export", obj=notice)
    response = StreamingHttpResponse(csv_lines(fields, records), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tra-loi-thong-bao-{notice.pk}.csv"'
    return response


@require_POST
def remind_view(request, pk):
    """ "Remind those who have not answered" costs money: a POST without the preview's token (or a stale
    one: someone answered, or a round went out since) shows to how many guardians and the cost; only the
    POST with the token sends, once (answers_remind counts the rounds under the notice's lock)."""
    notice = _results_or_404(request, pk)
    back = reverse("notice_results", kwargs={"pk": pk})
    link = notice_link(request.tenant, notice)
    plan = reminder_plan(notice, school_name=request.tenant.name, link=link)
    if not plan.items:
        messages.info(request, gettext("Không còn phụ huynh nào cần nhắc."))
        return redirect(back)
    estimate = items_estimate(plan.items, notice.channels or None)
    token = confirmation_token(estimate["token"], plan.rounds)
    if not confirmed(request, token):
        count = len(plan.items)
        summary = [
            ngettext(
                "%(count)s phụ huynh chưa trả lời “%(title)s” sẽ nhận một tin nhắc.",
                "%(count)s phụ huynh chưa trả lời “%(title)s” sẽ nhận một tin nhắc.",
                count,
            )
            % {"count": count, "title": notice.title}
        ]
        return confirm_page(
            request, title=gettext("Nhắc phụ huynh chưa trả lời?"), action=request.path, token=token,
            summary=summary, estimate=estimate, sample=plan.text,
            button=gettext("Xác nhận nhắc"), back=back,
        )  # fmt: skip
    try:
        sent = answers_remind(
            actor_staff=request.staff, notice=notice, school_name=request.tenant.name, link=link,
            rounds=plan.rounds,
        )  # fmt: skip
    except PollRefused as refused:
        messages.error(request, str(refused))
    else:
        if sent:
            messages.success(request, gettext("Đã nhắc %(count)s phụ huynh.") % {"count": sent})
        else:
            messages.info(request, gettext("Lời nhắc này đã được gửi rồi."))
    return redirect(back)
