"""Publication pages: the publish button of a secondary column (a POST from the entry grid's header, HTMX
or plain) and of a primary subject's or class's checkpoint, each after a confirmation that says what
parents will see and what the messages cost, and the school's publication settings (school admin and
principal). Anyone else gets 404."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from grades.cells import GradeError
from grades.permissions import SETTINGS_EDITORS, can_publish
from grades.primary.services import checkpoint_of
from grades.publication.forms import GradebookSettingsForm
from grades.publication.selectors import column_label, column_states, gradebook_settings
from grades.publication.services import (
    checkpoint_publish,
    checkpoint_publish_preview,
    class_checkpoint_publish,
    class_checkpoint_publish_preview,
    column_publish,
    column_publish_preview,
    gradebook_settings_update,
)
from schoolbook.confirm import confirm_page, confirmed
from schoolbook.forms import int_or_none
from schoolbook.permissions import school_role_required
from students.models import SchoolClass, TeachingAssignment, Term
from students.permissions import is_homeroom_teacher_of


def _confirmation(request, preview, *, title: str, what: str, fields: dict, back: str, hx_target=None):
    """The preview of a publish act (schoolbook.confirm): what parents will see and the messages' cost."""
    summary = [
        what,
        ngettext(
            "%(count)s phụ huynh sẽ nhận một tin nhắn.",
            "%(count)s phụ huynh sẽ nhận một tin nhắn.",
            preview.guardians,
        )
        % {"count": preview.guardians},
    ]
    return {
        "title": title,
        "action": request.path,
        "token": preview.estimate["token"],
        "fields": fields,
        "summary": summary,
        "estimate": preview.estimate,
        "sample": preview.items[0][1] if preview.items else "",
        "button": gettext("Xác nhận công bố"),
        "back": back,
        "hx_target": hx_target,
    }


def _next(request) -> str:
    """`next` when it is a page of this site, else the school's home."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("school_home")
    return target


@require_POST
def grades_publish(request, pk):
    """Publish one column after its confirmation: a POST without the preview's token (or with a stale one)
    answers with the preview (a dialog over the grid to HTMX, a page otherwise) and publishes nothing. The
    published outcome answers HTMX with the refreshed controls, else redirects to `next`."""
    assignment = TeachingAssignment.objects.select_related("school_class", "subject").filter(pk=pk).first()
    if assignment is None or not can_publish(getattr(request, "staff", None), assignment):
        raise Http404
    term = Term.objects.filter(
        pk=int_or_none(request.POST.get("term")), year_id=assignment.school_class.year_id
    ).first()
    if term is None:
        raise Http404
    column = request.POST.get("column", "").strip().upper()
    htmx = bool(request.headers.get("HX-Request"))
    context = {"assignment": assignment, "term": term, "column": column, "can_publish": True}
    level, confirm = messages.SUCCESS, None
    try:
        preview = column_publish_preview(
            actor_staff=request.staff, assignment=assignment, term=term, column=column
        )
        if preview.cells and not confirmed(request, preview.estimate["token"]):
            what = gettext(
                "Công bố cột %(column)s môn %(subject)s lớp %(class)s (%(term)s): phụ huynh sẽ thấy "
                "%(cells)s điểm mới hoặc đã sửa."
            ) % {
                "column": column_label(column),
                "subject": assignment.subject.name,
                "class": assignment.school_class.name,
                "term": term.name,
                "cells": preview.cells,
            }
            fields = {"term": term.pk, "column": column, "next": _next(request)}
            title = gettext("Công bố cột %(column)s?") % {"column": column_label(column)}
            confirm = _confirmation(
                request, preview, title=title, what=what, fields=fields, back=_next(request),
                hx_target=f"#publish-{column}" if htmx else None,
            )  # fmt: skip
            if not htmx:
                return confirm_page(request, **confirm)
            notice = ""
        else:
            publication = column_publish(
                actor_staff=request.staff, assignment=assignment, term=term, column=column
            )
            if publication is None:
                level = messages.INFO
                notice = gettext("Cột %(column)s không có điểm mới hay thay đổi nào để công bố.") % {
                    "column": column
                }
            else:
                notice = gettext(
                    "Đã công bố cột %(column)s: %(cells)s điểm, %(messages)s tin nhắn gửi phụ huynh."
                ) % {
                    "column": column,
                    "cells": publication.cell_count,
                    "messages": publication.message_count,
                }
    except GradeError as error:
        level, notice = messages.ERROR, str(error)
    if htmx:
        context["state"] = column_states(assignment, term, [column])[column]
        stale = confirm is not None and bool(request.POST.get("confirm"))
        context.update(notice=notice, confirm=confirm, stale=stale, dialog=True)
        return render(request, "grades/_publish_controls.html", context)
    return _back(request, level, notice)


def _back(request, level, notice):
    """Flash the outcome and go back to `next` (a page of this site), or to the school's home."""
    messages.add_message(request, level, notice)
    return redirect(_next(request))


@require_POST
def checkpoint_publish_view(request, pk, checkpoint):
    """Primary: publish a subject's ratings, tests and comments at a checkpoint (the entry page's button),
    after the confirmation page (same rules as grades_publish)."""
    assignment = TeachingAssignment.objects.select_related("school_class", "subject").filter(pk=pk).first()
    if assignment is None or not can_publish(getattr(request, "staff", None), assignment):
        raise Http404
    checkpoint = checkpoint_of(checkpoint)
    if checkpoint is None:
        raise Http404
    try:
        preview = checkpoint_publish_preview(
            actor_staff=request.staff, assignment=assignment, checkpoint=checkpoint
        )
        if preview.cells and not confirmed(request, preview.estimate["token"]):
            what = gettext(
                "Công bố đánh giá %(checkpoint)s môn %(subject)s lớp %(class)s: phụ huynh sẽ thấy "
                "%(cells)s đánh giá mới hoặc đã sửa."
            ) % {
                "checkpoint": checkpoint.label,
                "subject": assignment.subject.name,
                "class": assignment.school_class.name,
                "cells": preview.cells,
            }
            title = gettext("Công bố đánh giá %(checkpoint)s?") % {"checkpoint": checkpoint.label}
            return confirm_page(
                request,
                **_confirmation(
                    request, preview, title=title, what=what, fields={"next": _next(request)},
                    back=_next(request),
                ),
            )  # fmt: skip
        publication = checkpoint_publish(
            actor_staff=request.staff, assignment=assignment, checkpoint=checkpoint
        )
    except GradeError as error:
        return _back(request, messages.ERROR, str(error))
    if publication is None:
        return _back(request, messages.INFO, gettext("Không có đánh giá mới hay thay đổi nào để công bố."))
    notice = gettext("Đã công bố %(cells)s đánh giá, %(messages)s tin nhắn gửi phụ huynh.") % {
        "cells": publication.cell_count,
        "messages": publication.message_count,
    }
    return _back(request, messages.SUCCESS, notice)


@require_POST
def class_checkpoint_publish_view(request, pk, checkpoint):
    """Primary: the homeroom teacher publishes the class's qualities, competencies and comments, after the
    confirmation page."""
    school_class = SchoolClass.objects.filter(pk=pk).first()
    if school_class is None or not is_homeroom_teacher_of(getattr(request, "staff", None), school_class):
        raise Http404
    checkpoint = checkpoint_of(checkpoint)
    if checkpoint is None:
        raise Http404
    try:
        preview = class_checkpoint_publish_preview(
            actor_staff=request.staff, school_class=school_class, checkpoint=checkpoint
        )
        if preview.cells and not confirmed(request, preview.estimate["token"]):
            what = gettext(
                "Công bố nhận xét %(checkpoint)s về phẩm chất, năng lực của lớp %(class)s: phụ huynh sẽ "
                "thấy %(cells)s nhận xét mới hoặc đã sửa."
            ) % {"checkpoint": checkpoint.label, "class": school_class.name, "cells": preview.cells}
            title = gettext("Công bố nhận xét %(checkpoint)s?") % {"checkpoint": checkpoint.label}
            return confirm_page(
                request,
                **_confirmation(
                    request, preview, title=title, what=what, fields={"next": _next(request)},
                    back=_next(request),
                ),
            )  # fmt: skip
        cells = class_checkpoint_publish(
            actor_staff=request.staff, school_class=school_class, checkpoint=checkpoint
        )
    except GradeError as error:
        return _back(request, messages.ERROR, str(error))
    if not cells:
        return _back(request, messages.INFO, gettext("Không có nhận xét mới hay thay đổi nào để công bố."))
    return _back(request, messages.SUCCESS, gettext("Đã công bố %(cells)s nhận xét.") % {"cells": cells})


@school_role_required(*SETTINGS_EDITORS)
def gradebook_settings_view(request):
    settings = gradebook_settings()
    initial = {
        "publish_policy": settings.publish_policy,
        "auto_publish_after_minutes": settings.auto_publish_after_minutes,
    }
    form = GradebookSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            gradebook_settings_update(actor=request.user, **form.cleaned_data)
        except GradeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, gettext("Đã lưu cài đặt sổ điểm."))
            return redirect("gradebook_settings")
    status = 400 if form.errors else 200
    return render(request, "grades/gradebook_settings.html", {"form": form}, status=status)
