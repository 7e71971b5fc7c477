"""Mời phụ huynh (parent_invite), for the school's managers: choose whom, see who and what it costs, confirm.
A GET shows the preview of the chosen group; the POST sends only with the preview's token (a stale or
missing one shows the preview again, with what is true now)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext

from schoolbook.confirm import confirmed
from schoolbook.permissions import school_role_required
from students.invites.forms import InviteForm
from students.invites.selectors import Whom, invite_counts, invite_selection, login_url
from students.invites.services import guardians_invite
from students.permissions import MANAGERS

NAMES_SHOWN = 12  # the preview names the first ones; the count says how many in all


def _preview(request, whom, selection) -> dict:
    """What the confirmation (templates/_confirm_body.html) says: how many, who was left out, the cost."""
    count = len(selection.guardians)
    summary = [
        ngettext(
            "Sẽ gửi lời mời cho %(count)s phụ huynh, mỗi người một tin nhắn.",
            "Sẽ gửi lời mời cho %(count)s phụ huynh, mỗi người một tin nhắn.",
            count,
        )
        % {"count": count}
    ]
    names = ", ".join(g.full_name for g in selection.guardians[:NAMES_SHOWN])
    more = count - NAMES_SHOWN
    if more > 0:
        names += " " + ngettext("và %(count)s phụ huynh khác", "và %(count)s phụ huynh khác", more) % {
            "count": more
        }
    summary.append(gettext("Người nhận: %(names)s.") % {"names": names})
    if selection.invited_today:
        summary.append(
            gettext("%(count)s phụ huynh đã được mời hôm nay nên không gửi lại.")
            % {"count": selection.invited_today}
        )
    return {
        "summary": summary,
        "estimate": selection.estimate,
        "token": selection.estimate["token"],
        "sample": selection.items[0][1],
        "action": request.path,
        "fields": {"whom": whom}.items(),
        "button": gettext("Gửi lời mời"),
        "back": None,
    }


@school_role_required(*MANAGERS)
def parent_invite_view(request):
    data = request.POST if request.method == "POST" else (request.GET or {"whom": Whom.NOT_INVITED})
    form = InviteForm(data)
    school_name = request.tenant.name
    selection = invite_selection(form.cleaned_data["whom"], school_name) if form.is_valid() else None
    stale = False
    if request.method == "POST" and selection is not None:
        if selection.guardians and confirmed(request, selection.estimate["token"]):
            count = guardians_invite(
                actor_staff=request.staff, whom=form.cleaned_data["whom"], school_name=school_name,
            )  # fmt: skip
            text = ngettext(
                "Đã gửi lời mời cho %(count)s phụ huynh.", "Đã gửi lời mời cho %(count)s phụ huynh.", count
            ) % {"count": count}
            messages.success(request, text)
            return redirect("parent_invite")
        stale = bool(request.POST.get("confirm"))
    context = {"form": form, "selection": selection, "counts": invite_counts(), "login_url": login_url()}
    if selection is not None:
        context["whom_label"] = Whom(form.cleaned_data["whom"]).label
    if selection is not None and selection.guardians:
        context.update(_preview(request, form.cleaned_data["whom"], selection), stale=stale)
    status = 400 if not form.is_valid() else 200
    return render(request, "students/parent_invite.html", context, status=status)
