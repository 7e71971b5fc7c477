"""Notice pages: the staff list, compose/edit with a live estimate, the notice page (which marks it read),
decisions, attachments behind an access check, and the parents' inbox across schools (public URLconf)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from accounts.roles import Role
from messaging.outbox.selectors import send_estimate
from notices.audience import AudienceChoice, audience_resolve
from notices.forms import NoticeForm, RejectForm
from notices.models import Category, Notice, NoticeAttachment, Status
from notices.permissions import can_cancel, can_decide, can_edit, is_notice_manager, needs_approval
from notices.polls.forms import PRESET_MEETING, PollForms
from notices.polls.selectors import guardian_sheets, questions_of
from notices.polls.services import is_open
from notices.selectors import (
    MANAGER_TABS,
    TABS,
    inbox_across_schools,
    inbox_reads,
    inbox_schools,
    inbox_versions,
    notice_list,
    notice_visible,
    pending_count,
)
from notices.services import (
    NoticeError,
    notice_approve,
    notice_cancel,
    notice_estimate,
    notice_link,
    notice_mark_read,
    notice_reject,
    notice_save,
    notice_submit,
    notice_text,
)
from schoolbook.caching import cached_part, versions_per_school
from schoolbook.confirm import confirm_page, confirmed
from schoolbook.forms import int_or_none
from schoolbook.permissions import school_role_required
from tenants.routing import school_reverse

PAGE_SIZE = 25
staff_required = school_role_required(*Role.values)  # any staff member; guardians and others get 404


def _visible_or_404(request, pk):
    notice = notice_visible(pk, staff=request.staff, guardian=request.guardian)
    if notice is None:
        raise Http404
    return notice


@staff_required
def notice_list_view(request):
    manager = is_notice_manager(request.staff)
    tab = request.GET.get("tab") or ("all" if manager else "mine")
    if tab not in TABS or (tab in MANAGER_TABS and not manager):
        raise Http404
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    category = request.GET.get("category", "")
    category = category if category in Category.values else ""
    notices = notice_list(request.staff, tab=tab, status=status, category=category)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, "tab": tab, "status": status, "category": category, "is_manager": manager,
        "statuses": Status.choices, "categories": Category.choices,
        "pending": pending_count() if manager else 0,
    }  # fmt: skip
    return render(request, "notices/list.html", context)


def _compose(request, notice=None):
    preset = request.GET.get("preset", "") if notice is None else ""
    initial = NoticeForm.initial_for(notice) if notice else None
    if preset == PRESET_MEETING:
        initial = {"title": gettext("Mời họp phụ huynh"), "category": Category.PARENT_MEETING}
    form = NoticeForm(
        request.POST or None, request.FILES or None, staff=request.staff, notice=notice, initial=initial
    )
    poll = PollForms(request.POST or None, notice=notice, preset=preset)
    valid = False
    if request.method == "POST":
        valid = form.is_valid() & poll.is_valid(
            audience=form.cleaned_data.get("audience"), scheduled_at=form.cleaned_data.get("scheduled_at"),
            sending="submit" in request.POST,
        )  # fmt: skip
    if valid:
        # "Gửi" of a notice that goes out without approval saves it and asks for confirmation first (the
        # cost, the number of recipients); one that needs approval goes to the principal, costing nothing.
        # "Thêm câu hỏi" without JavaScript saves the draft and comes back to it with a new blank question.
        send = "submit" in request.POST
        confirm_first = send and not needs_approval(request.staff, form.audience_choice())
        data = form.notice_data()
        data.questions, data.answers_close_at = poll.specs(), poll.answers_close_at
        try:
            notice = notice_save(
                actor_staff=request.staff,
                notice=notice,
                data=data,
                uploads=form.cleaned_data["attachments"],
                remove=form.cleaned_data.get("remove_attachments") or [],
                submit=send and not confirm_first,
            )
        except NoticeError as error:
            form.add_error(None, str(error))
        else:
            if confirm_first:
                return redirect("notice_send", pk=notice.pk)
            if "more" in request.POST:
                return redirect("notice_edit", pk=notice.pk)
            messages.success(request, _outcome(notice))
            return redirect("notice_detail", pk=notice.pk)
    context = {
        "form": form,
        "poll": poll,
        "notice": notice,
        "estimate": _estimate(request, form) if form.is_bound else None,
    }
    return render(request, "notices/compose.html", context)


def _outcome(notice) -> str:
    return {
        Status.DRAFT: gettext("Đã lưu bản nháp."),
        Status.PENDING_APPROVAL: gettext("Đã gửi để hiệu trưởng duyệt."),
        Status.SCHEDULED: gettext("Đã lên lịch gửi."),
        Status.PUBLISHED: gettext("Đã gửi thông báo."),
    }[notice.status]


@staff_required
def notice_compose_view(request):
    return _compose(request)


def _confirm(request, notice, *, button: str, pending: bool = False):
    """The confirmation page of sending a notice (or of submitting it for approval, which sends nothing)."""
    estimate = notice_estimate(notice)
    values = {"title": notice.title, "count": estimate["recipients"]}
    if pending:
        summary = [
            gettext("Thông báo “%(title)s” sẽ được chuyển để hiệu trưởng duyệt; chưa gửi tin nào.") % values
        ]
    elif notice.scheduled_at and notice.scheduled_at > timezone.now():
        when = timezone.localtime(notice.scheduled_at)
        summary = [
            gettext("Thông báo “%(title)s” sẽ được gửi lúc %(when)s tới %(count)s người nhận.")
            % {**values, "when": f"{when:%H:%M %d/%m/%Y}"}
        ]
    else:
        summary = [gettext("Thông báo “%(title)s” sẽ được gửi ngay tới %(count)s người nhận.") % values]
    if notice.is_emergency:
        summary.append(gettext("Tin khẩn: gửi cả trong giờ yên lặng."))
    return confirm_page(
        request,
        title=gettext("Gửi thông báo?"),
        action=request.path,
        token=estimate["token"],
        summary=summary,
        estimate=None if pending else estimate,
        sample=estimate["text"],
        button=button,
        back=school_reverse(request.tenant, "notice_detail", pk=notice.pk),
    )


@staff_required
def notice_send_view(request, pk):
    """Send (or submit for approval) the author's draft: GET, or a POST without the preview's token or with
    a stale one, shows what will happen; only the POST with the token submits it."""
    notice = _visible_or_404(request, pk)
    if notice.author_id != request.staff.pk:
        raise Http404
    if not can_edit(request.staff, notice):
        messages.error(request, gettext("Thông báo này không còn sửa được."))
        return redirect("notice_detail", pk=pk)
    pending = needs_approval(request.staff, AudienceChoice.of(notice))
    if not confirmed(request, notice_estimate(notice)["token"]):
        button = gettext("Gửi để duyệt") if pending else gettext("Xác nhận gửi")
        return _confirm(request, notice, button=button, pending=pending)
    try:
        notice = notice_submit(actor_staff=request.staff, notice=notice)
    except NoticeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _outcome(notice))
    return redirect("notice_detail", pk=pk)


@staff_required
def notice_edit_view(request, pk):
    notice = _visible_or_404(request, pk)
    if notice.author_id != request.staff.pk:
        raise Http404
    if not can_edit(request.staff, notice):
        messages.error(request, gettext("Thông báo này không còn sửa được."))
        return redirect("notice_detail", pk=pk)
    return _compose(request, notice)


def _estimate(request, form):
    """The estimate for what the form says so far (fields that do not validate yet count as empty)."""
    form.is_valid()
    choice = form.audience_choice()
    if choice is None:
        return None
    data = form.cleaned_data
    link = _estimated_link(request, form.notice)
    text = notice_text(request.tenant.name, data.get("title", ""), data.get("body", ""), link)
    recipients = [a.recipient for a in audience_resolve(choice)]
    return send_estimate(recipients, text, data.get("channels") or None)


def _estimated_link(request, notice) -> str:
    """The "Xem: …" line a notice with attachments carries, so that the estimate counts its SMS segments as
    the confirmation will. The compose form's HTMX post is URL-encoded: a chosen file arrives as a non-empty
    `attachments` value, the saved ones as `saved_attachments` (less those ticked for removal)."""
    chosen = request.FILES.getlist("attachments") or [
        value for value in request.POST.getlist("attachments") if value
    ]
    saved = int_or_none(request.POST.get("saved_attachments")) or 0
    if not chosen and saved <= len(request.POST.getlist("remove_attachments")):
        return ""
    pk = notice.pk if notice else (Notice.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    return notice_link(request.tenant, Notice(pk=pk))


@staff_required
@require_POST
def notice_estimate_view(request):
    """HTMX: the compose form posts here as it changes (files are not sent: they do not change the text)."""
    form = NoticeForm(request.POST, staff=request.staff)
    return render(request, "notices/_estimate.html", {"estimate": _estimate(request, form)})


def notice_detail_context(request, pk) -> dict:
    """What the notice's page shows to this person (404 when they may not open it); opening it marks it read
    for whoever it was addressed to. Its author and the managers also see whom it went to, its questions
    and, once published, the delivery report and the answers; a guardian it reached answers its questions
    for each child of theirs it asks about (notices.polls)."""
    notice = _visible_or_404(request, pk)
    if notice.unread is not False:  # the first time only: a notice read before writes nothing
        notice_mark_read(notice, guardian=request.guardian, staff=request.staff)
    staff = request.staff
    is_sender = is_notice_manager(staff) or (staff is not None and notice.author_id == staff.pk)
    report_url = None
    if is_sender and notice.status == Status.PUBLISHED:
        try:  # the delivery report's pages come with their own module (notices/views_report.py)
            report_url = school_reverse(request.tenant, "notice_report", pk=notice.pk)
        except NoReverseMatch:
            report_url = None
    deciding = can_decide(staff, notice)
    questions = questions_of(notice)
    return {
        "notice": notice,
        "is_sender": is_sender,
        "can_edit": can_edit(staff, notice),
        "can_decide": deciding,
        "can_cancel": can_cancel(staff, notice),
        "reject_form": RejectForm() if deciding else None,  # built for whoever may reject it only
        "report_url": report_url,
        "questions": questions,
        "sheets": guardian_sheets(notice, request.guardian) if questions else [],
        "poll_open": is_open(notice),
    }


def notice_detail_view(request, pk):
    return render(request, "notices/detail.html", notice_detail_context(request, pk))


def _decide(request, pk, action, *, managers_only):
    """Approve, reject, cancel: a decision by someone who may not take it at all is a 404; one the notice
    no longer allows (another principal was quicker) is explained."""
    notice = _visible_or_404(request, pk)
    staff = request.staff
    allowed = is_notice_manager(staff) or (
        not managers_only and staff is not None and notice.author_id == staff.pk
    )
    if not allowed:
        raise Http404
    try:
        action(notice)
    except NoticeError as error:
        messages.error(request, str(error))
    return redirect("notice_detail", pk=pk)


@require_POST
def notice_approve_view(request, pk):
    """Approving sends (or schedules) the notice: a POST without the preview's token shows the preview."""
    notice = _visible_or_404(request, pk)
    if not is_notice_manager(request.staff):
        raise Http404
    if can_decide(request.staff, notice) and not confirmed(request, notice_estimate(notice)["token"]):
        return _confirm(request, notice, button=gettext("Duyệt và gửi"))

    def approve(notice):
        notice = notice_approve(actor_staff=request.staff, notice=notice)
        messages.success(request, _outcome(notice))

    return _decide(request, pk, approve, managers_only=True)


@require_POST
def notice_reject_view(request, pk):
    def reject(notice):
        notice_reject(actor_staff=request.staff, notice=notice, reason=request.POST.get("reason", ""))
        messages.success(request, gettext("Đã từ chối. Người soạn sẽ thấy lý do."))

    return _decide(request, pk, reject, managers_only=True)


@require_POST
def notice_cancel_view(request, pk):
    def cancel(notice):
        notice_cancel(actor_staff=request.staff, notice=notice)
        messages.success(request, gettext("Đã hủy thông báo."))

    return _decide(request, pk, cancel, managers_only=False)


def notice_attachment_view(request, pk, attachment_pk):
    """Only to those who may open the notice; the type recorded from the file's bytes, never guessed."""
    notice = _visible_or_404(request, pk)
    attachment = NoticeAttachment.objects.filter(notice=notice, pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=attachment.content_type == "application/pdf",
        filename=attachment.original_name,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def notice_inbox_view(request):
    """Public: a parent's notices from every school where they are a guardian, newest first. The page is
    kept per schools, viewer, query and version of its rows in each school (one query a school); when only
    what was read changed, the list is kept and only the reads are read again."""
    user = request.user
    schools = inbox_schools(user)
    versions = versions_per_school(schools, lambda schema: inbox_versions(user, schema))
    schemas = [school.schema_name for school in schools]

    def build():
        rows = cached_part(
            "notice-inbox-rows",
            schemas=schemas,
            viewer=user.pk,
            version=[version[:3] for version in versions],
            build=lambda: (inbox_across_schools(user, schools), None),
        )
        reads = {}
        for school in schools:
            with schema_context(school.schema_name):
                reads.update({(school.pk, pk): at for pk, at in inbox_reads(user).items()})
        for row in rows:
            row.read_at = reads.get((row.school.pk, row.pk))
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        for row in page.object_list:  # links for the page shown, not for every notice of the inbox
            row.url = school_reverse(row.school, "notice_detail", pk=row.notice.pk)
        return render_to_string("notices/_inbox.html", {"page": page}, request=request), None

    version = (request.GET.urlencode(), versions)
    content = cached_part("notice-inbox", schemas=schemas, viewer=user.pk, version=version, build=build)
    return render(request, "notices/inbox.html", {"content": content})
