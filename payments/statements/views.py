"""The bank statement import in the browser, for fee managers: upload (bank and file) → the columns mapped
the first time for that bank → the preview of every row → confirm → recorded. The file waits in the school's
schema (students.imports.flow's preview, one per person, 30 minutes); the preview is a GET of its token, so
it pages and survives a reload; the confirmation brings back the file's SHA-256 and the preview's fingerprint
(schoolbook.confirm), and a preview that has changed since (a feed brought a row, an invoice was paid) is
shown again instead of acting."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from payments.banks import bank_label
from payments.models import ReceivingAccount, StatementMapping
from payments.permissions import FEE_MANAGERS
from payments.statements.forms import MappingForm, StatementUploadForm
from payments.statements.importer import KIND, Status
from payments.statements.selectors import statement_check, statement_layout
from payments.statements.services import statement_import, statement_mapping_save
from schoolbook.confirm import FIELD, confirmed
from schoolbook.permissions import school_role_required
from students.imports.flow import preview_confirmed, preview_delete, preview_get, preview_save, problems_csv

PAGE_SIZE = 100


@school_role_required(*FEE_MANAGERS)
def statement_import_view(request):
    """Upload (no token), the preview (?token=…), or the confirmation (POST with the token)."""
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    if "token" in request.GET:
        pending = _pending(request, request.GET["token"])
        if pending is None:
            return _expired(request)
        return _preview(request, pending)
    return _upload(request)


def _upload(request):
    form = StatementUploadForm(request.POST or None, request.FILES or None, initial={"bank": _usual_bank()})
    problems = []
    if request.method == "POST" and form.is_valid():
        upload, bank_bin = form.cleaned_data["file"], form.cleaned_data["bank"]
        data = upload.read()
        layout = statement_layout(data, upload.name, bank_bin)
        problems = layout.report.problems  # a file we cannot read is refused before it is kept
        if not problems:
            pending = preview_save(
                actor=request.user, kind=KIND, data=data, filename=upload.name, context={"bank": bank_bin}
            )
            step = "statement_import" if layout.mapping else "statement_mapping"
            return redirect(f"{reverse(step)}?token={pending.token}")
    mapped = [
        bank_label(bin_code) for bin_code in StatementMapping.objects.values_list("bank_bin", flat=True)
    ]
    context = {"form": form, "problems": problems, "mapped": sorted(mapped)}
    return render(request, "payments/statement_upload.html", context)


@school_role_required(*FEE_MANAGERS)
def statement_mapping_view(request):
    """Which of the file's columns is which, pre-filled from the bank's saved mapping or a guess."""
    pending = _pending(request, request.GET.get("token", ""))
    if pending is None:
        return _expired(request)
    bank_bin = pending.context["bank"]
    layout = statement_layout(pending.data, pending.filename, bank_bin)
    form = MappingForm(
        request.POST or None, headers=layout.headers, samples=layout.samples, initial=layout.proposal
    )
    if request.method == "POST" and form.is_valid():
        statement_mapping_save(actor=request.user, bank_bin=bank_bin, columns=form.cleaned_data)
        return redirect(f"{reverse('statement_import')}?token={pending.token}")
    context = {
        "form": form,
        "pending": pending,
        "bank": bank_label(bank_bin),
        "changed": layout.mapping is None and StatementMapping.objects.filter(bank_bin=bank_bin).exists(),
    }
    return render(request, "payments/statement_mapping.html", context)


def _preview(request, pending, *, report=None, status=200, stale=False):
    layout = statement_layout(pending.data, pending.filename, pending.context["bank"])
    if layout.mapping is None and not layout.report.problems:
        return redirect(f"{reverse('statement_mapping')}?token={pending.token}")
    if report is None:
        report = statement_check(layout.mapping or {}, pending.data, pending.filename)
    only_bad = request.GET.get("only") == "bad"
    rows = [row for row in report.rows if row.status == Status.BAD] if only_bad else report.rows
    context = {
        "report": report,
        "summary": report.summary,
        "pending": pending,
        "bank": bank_label(pending.context["bank"]),
        "mapping": layout.mapping or {},
        "file_problems": [
            problem for problem in report.problems + layout.report.problems if not problem.line
        ],
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "only_bad": only_bad,
        "confirm_field": FIELD,
        "stale": stale,
    }
    return render(request, "payments/statement_preview.html", context, status=status)


def _confirm(request):
    pending = preview_confirmed(
        actor=request.user, token=request.POST["token"], sha256=request.POST.get("sha256"), kind=KIND
    )
    if pending is None:
        return _expired(request)
    layout = statement_layout(pending.data, pending.filename, pending.context["bank"])
    if layout.mapping is None:
        return redirect(f"{reverse('statement_mapping')}?token={pending.token}")
    report = statement_check(layout.mapping, pending.data, pending.filename)
    if not report.ok or not confirmed(request, report.token):
        return _preview(request, pending, report=report, stale=report.ok and bool(request.POST.get(FIELD)))
    report = statement_import(
        actor=request.user,
        school=request.tenant,
        mapping=layout.mapping,
        data=pending.data,
        filename=pending.filename,
    )
    if not report.committed:
        return _preview(request, pending, status=422)
    preview_delete(actor=request.user, preview=pending)
    summary = report.summary
    done = gettext(
        "Đã ghi nhận %(new)d giao dịch: %(matched)d đã khớp hoá đơn, %(unmatched)d chờ kế toán xử lý."
    )
    done %= {"new": summary.new, "matched": summary.matched, "unmatched": summary.unmatched}
    if summary.existing:
        done += " " + gettext("%(existing)d giao dịch đã có từ trước được bỏ qua.") % {
            "existing": summary.existing
        }
    messages.success(request, done)
    return redirect("statement_import")


@school_role_required(*FEE_MANAGERS)
def statement_problems_view(request):
    """The preview's problems as a CSV to fix the file by."""
    pending = _pending(request, request.GET.get("token", ""))
    if pending is None:
        raise Http404
    layout = statement_layout(pending.data, pending.filename, pending.context["bank"])
    problems = layout.report.problems
    if layout.mapping is not None:
        problems = statement_check(layout.mapping, pending.data, pending.filename).problems
    response = HttpResponse(problems_csv(problems), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="loi-sao-ke.csv"'
    return response


def _usual_bank() -> str:
    """The school's receiving account's bank, else the bank of the last statement mapped."""
    account = ReceivingAccount.objects.first()
    if account is not None:
        return account.bank_bin
    return StatementMapping.objects.order_by("-updated_at").values_list("bank_bin", flat=True).first() or ""


def _pending(request, token: str):
    return preview_get(actor=request.user, token=token, kind=KIND)


def _expired(request):
    messages.error(request, gettext("Tệp đã hết hạn chờ xác nhận (30 phút). Vui lòng tải lên lại."))
    return redirect("statement_import")
