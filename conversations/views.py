"""Conversation pages under /s/<code>/conversations/: the inbox, a child's conversations with whom one may
write to, starting one, one conversation (messages newest last, read receipts, the reply box, the teachers'
office hours), a message's file, reporting and hiding, a teacher's office hours and the school's choices.
Who may not see a conversation or a child gets 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from conversations.forms import HideForm, MessageForm, OfficeHoursForm, ReportForm, SettingsForm, StartForm
from conversations.models import ConversationSettings, Message, OfficeHours
from conversations.permissions import board_reads, principals_required, staff_required
from conversations.selectors import (
    child_contacts,
    child_conversations,
    conversation_visible,
    inbox,
    office_hours_of,
    participant_of,
    reported_messages,
    taught_classes,
    thread_messages,
)
from conversations.services import (
    ConversationError,
    conversation_board_read,
    conversation_read,
    conversation_settings_save,
    conversation_start,
    message_hide,
    message_post,
    message_report,
    office_hours_save,
)
from schoolbook.uploads import attachment_response
from students.selectors import children_of_guardian, student_with_class

PAGE_SIZE = 20


def inbox_view(request):
    """The person's conversations in this school, unread first."""
    page = Paginator(inbox(request.user, request.guardian), PAGE_SIZE).get_page(request.GET.get("page"))
    children = list(children_of_guardian(request.guardian).values()) if request.guardian else []
    classes = taught_classes(request.staff) if request.staff else []
    return render(
        request, "conversations/inbox.html", {"page": page, "children": children, "classes": classes}
    )


def _child_or_404(request, pk):
    """The child and who may talk about it, for its guardians, its teachers now and the board by the
    school's policy; 404 for anyone else."""
    student = None
    if request.guardian is not None:
        student = children_of_guardian(request.guardian).get(pk)
    is_guardian = student is not None
    student = student or student_with_class(pk)
    if student is None:
        raise Http404
    contacts = child_contacts(student)
    board = board_reads(request.staff)
    if not (is_guardian or board or contacts.teacher_of(request.user.pk)):
        raise Http404
    return student, contacts, is_guardian, board


def child_view(request, pk):
    student, contacts, is_guardian, board = _child_or_404(request, pk)
    conversations = child_conversations(student, request.user, whole_record=is_guardian or board)
    page = Paginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "student": student,
        "page": page,
        "teachers": contacts.teachers if is_guardian else [],
        "can_start": is_guardian or contacts.teacher_of(request.user.pk) is not None,
        "is_guardian": is_guardian,
        "board_reads": ConversationSettings.current().principal_reads,
    }
    return render(request, "conversations/child.html", context)


def start_view(request, pk):
    student, contacts, is_guardian, _board = _child_or_404(request, pk)
    if is_guardian:
        choices = [(t.staff.user_id, _teacher_label(t)) for t in contacts.teachers]
    elif contacts.teacher_of(request.user.pk):
        choices = [
            (link.guardian.user_id, f"{link.guardian.full_name} ({link.get_relationship_display()})")
            for link in contacts.guardian_links
        ]
    else:
        raise Http404  # the board reads by policy but writes only where they teach
    initial = {"recipients": request.GET.get("to") if is_guardian else [c for c, _ in choices]}
    form = StartForm(request.POST or None, request.FILES or None, choices=choices, single=is_guardian,
                     initial=initial)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = conversation_start(
                actor=request.user,
                student=student,
                recipients=form.recipient_ids(),
                body=data["body"],
                client_key=data["client_key"],
                attachment=data["attachment"],
            )
        except ConversationError as error:
            form.add_error(error.field, str(error))
        else:
            return redirect("conversation_detail", pk=message.conversation_id)
    hours = office_hours_of([t.staff for t in contacts.teachers]) if is_guardian else []
    context = {
        "student": student,
        "form": form,
        "choices": choices,
        "is_guardian": is_guardian,
        "hours": hours,
    }
    return render(request, "conversations/start.html", context)


def _teacher_label(teacher) -> str:
    roles = ([gettext("Giáo viên chủ nhiệm")] if teacher.homeroom else []) + teacher.subjects
    return f"{teacher.staff.full_name} – {', '.join(roles)}"


def _visible_or_404(request, pk):
    conversation = conversation_visible(pk, request.user, board_reads=board_reads(request.staff))
    if conversation is None:
        raise Http404
    return conversation


def detail_view(request, pk, form=None):
    conversation = _visible_or_404(request, pk)
    me = participant_of(conversation, request.user)
    if me is not None:
        conversation_read(participant=me)
    guardian_here = request.guardian is not None and conversation.student_id in children_of_guardian(
        request.guardian
    )
    if me is None and not guardian_here:
        conversation_board_read(actor=request.user, conversation=conversation)
    staff = [p.staff for p in conversation.participants.all() if p.staff is not None]
    context = {
        "conversation": conversation,
        "messages_": thread_messages(conversation),
        "me": me,
        # Participants write; a guardian of the child not addressed joins by writing (rules.may_write).
        "form": (form or MessageForm()) if me is not None or guardian_here else None,
        "hours": office_hours_of(staff) if guardian_here else [],
        "is_manager_view": me is None and request.staff is not None,
        "report_form": ReportForm(),
    }
    return render(request, "conversations/detail.html", context, status=400 if form else 200)


@require_POST
def reply_view(request, pk):
    conversation = _visible_or_404(request, pk)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            message_post(
                actor=request.user,
                conversation=conversation,
                body=data["body"],
                client_key=data["client_key"],
                attachment=data["attachment"],
            )
        except ConversationError as error:
            form.add_error(error.field, str(error))
        else:
            return redirect("conversation_detail", pk=pk)
    return detail_view(request, pk, form=form)


def _message_or_404(request, pk) -> tuple[Message, object]:
    message = get_object_or_404(Message.objects.only("pk", "conversation_id"), pk=pk)
    conversation = _visible_or_404(request, message.conversation_id)
    return Message.objects.select_related("sender").get(pk=pk), conversation


def attachment_view(request, pk):
    message, _conversation = _message_or_404(request, pk)
    if not message.attachment or message.hidden_at is not None:
        raise Http404
    return attachment_response(message.attachment, stem=f"tin-nhan-{message.pk}")


@require_POST
def report_view(request, pk):
    message, conversation = _message_or_404(request, pk)
    me = participant_of(conversation, request.user)
    if me is None:
        raise Http404
    form = ReportForm(request.POST)
    try:
        message_report(
            actor=request.user, participant=me, message=message,
            reason=form.cleaned_data["reason"] if form.is_valid() else "",
        )  # fmt: skip
    except ConversationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("Đã báo cáo tin nhắn cho ban giám hiệu nhà trường."))
    return redirect("conversation_detail", pk=conversation.pk)


@principals_required
def reports_view(request):
    page = Paginator(reported_messages(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "conversations/reports.html", {"page": page})


@principals_required
def hide_view(request, pk):
    message = get_object_or_404(reported_messages(), pk=pk)
    form = HideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message_hide(actor_staff=request.staff, message=message, reason=form.cleaned_data["reason"])
        except ConversationError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, gettext("Đã ẩn tin nhắn."))
            return redirect("conversation_reports")
    return render(request, "conversations/hide.html", {"message": message, "form": form})


@staff_required
def office_hours_view(request):
    hours = OfficeHours.of(request.staff)
    initial = {"weekdays": hours.weekdays, "opens": hours.opens, "closes": hours.closes}
    form = OfficeHoursForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            office_hours_save(
                actor_staff=request.staff,
                weekdays=data["weekdays"],
                opens=data["opens"],
                closes=data["closes"],
            )
        except ConversationError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, gettext("Đã lưu giờ làm việc."))
            return redirect("conversation_office_hours")
    return render(request, "conversations/office_hours.html", {"form": form})


@principals_required
def settings_view(request):
    prefs = ConversationSettings.current()
    form = SettingsForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        conversation_settings_save(
            actor=request.user,
            sms_allowed=form.cleaned_data["sms_allowed"],
            principal_reads=form.cleaned_data["principal_reads"],
        )
        messages.success(request, gettext("Đã lưu cài đặt tin nhắn."))
        return redirect("conversation_settings")
    return render(request, "conversations/settings.html", {"form": form})
