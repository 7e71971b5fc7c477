"""The fee catalogue pages (/s/<code>/fees/items/…, /fees/reductions/…): the year's items, and exemptions or
reductions requested by the accountant and decided by the principal. Fee viewers see; only fee managers
change items and request reductions; only the principal decides them (payments.permissions)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from payments.catalogue.forms import DecisionForm, FeeItemForm, ReductionForm
from payments.catalogue.selectors import current_year, fee_items, reduction_counts, reductions
from payments.catalogue.services import (
    CatalogueError,
    fee_item_archive,
    fee_item_save,
    reduction_decide,
    reduction_request,
)
from payments.models import FeeItem, FeeReduction
from payments.permissions import (
    FEE_MANAGERS,
    FEE_VIEWERS,
    REDUCTION_DECIDERS,
    can_decide_reductions,
    can_manage_fees,
)
from schoolbook.confirm import confirm_page, confirmation_token, confirmed
from schoolbook.permissions import school_role_required
from schoolbook.uploads import attachment_response


@school_role_required(*FEE_VIEWERS)
def fee_item_list_view(request):
    year = current_year()
    context = {
        "year": year,
        "items": fee_items(year) if year else [],
        "can_manage": can_manage_fees(request.staff),
    }
    return render(request, "payments/catalogue/item_list.html", context)


@school_role_required(*FEE_MANAGERS)
def fee_item_edit_view(request, pk=None):
    year = current_year()
    if year is None:
        messages.error(request, gettext("Hãy tạo năm học hiện tại trước khi lập danh mục khoản thu."))
        return redirect("fee_items")
    item = get_object_or_404(FeeItem, pk=pk, year=year, archived_at__isnull=True) if pk else None
    initial = FeeItemForm.initial_for(item) if item else None
    form = FeeItemForm(request.POST or None, year=year, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = fee_item_save(actor=request.user, year=year, item=item, data=form.cleaned_data)
        except CatalogueError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, gettext("Đã lưu khoản thu “%(name)s”.") % {"name": saved.name})
            return redirect("fee_items")
    status = 400 if form.errors else 200
    return render(request, "payments/catalogue/item_form.html", {"form": form, "item": item}, status=status)


@school_role_required(*FEE_MANAGERS)
@require_POST
def fee_item_archive_view(request, pk):
    item = get_object_or_404(FeeItem, pk=pk, archived_at__isnull=True)
    token = confirmation_token("archive", item.pk, item.name)
    if not confirmed(request, token):
        return confirm_page(
            request,
            title=gettext("Ngừng thu “%(name)s”?") % {"name": item.name},
            action=request.path,
            token=token,
            summary=[
                gettext(
                    "Các đợt thu lập từ nay sẽ không có khoản này. Hoá đơn đã lập giữ nguyên; "
                    "lập lại một đợt thu sẽ cho xem trước thay đổi."
                )
            ],
            button=gettext("Ngừng thu"),
            back=redirect("fee_items").url,
        )
    fee_item_archive(actor=request.user, item=item)
    messages.success(request, gettext("Đã ngừng thu “%(name)s”.") % {"name": item.name})
    return redirect("fee_items")


@school_role_required(*FEE_VIEWERS)
def reduction_list_view(request):
    status = request.GET.get("status", FeeReduction.Status.PENDING)
    if status not in FeeReduction.Status.values and status != "all":
        status = FeeReduction.Status.PENDING
    page = Paginator(reductions(status="" if status == "all" else status), 50).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "status": status,
        "statuses": FeeReduction.Status.choices,
        "counts": reduction_counts(),
        "can_request": can_manage_fees(request.staff),
        "can_decide": can_decide_reductions(request.staff),
    }
    return render(request, "payments/catalogue/reduction_list.html", context)


@school_role_required(*FEE_MANAGERS)
def reduction_new_view(request):
    year = current_year()
    if year is None:
        return redirect("fee_items")
    form = ReductionForm(request.POST or None, request.FILES or None, year=year)
    if request.method == "POST" and form.is_valid():
        try:
            reduction = reduction_request(actor=request.user, staff=request.staff, data=form.cleaned_data)
        except CatalogueError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(
                request,
                gettext("Đã gửi đề nghị miễn giảm cho %(name)s; chờ hiệu trưởng duyệt.")
                % {"name": reduction.student.full_name},
            )
            return redirect("fee_reductions")
    status = 400 if form.errors else 200
    return render(request, "payments/catalogue/reduction_form.html", {"form": form}, status=status)


@school_role_required(*REDUCTION_DECIDERS)
def reduction_decide_view(request, pk):
    reduction = get_object_or_404(reductions(), pk=pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            reduction_decide(
                actor=request.user,
                staff=request.staff,
                reduction=reduction,
                approve=approve,
                note=form.cleaned_data["note"],
            )
        except CatalogueError as error:
            messages.error(request, str(error))
        else:
            name = {"name": reduction.student.full_name}
            messages.success(
                request,
                gettext("Đã duyệt miễn giảm cho %(name)s: được tính từ lần lập đợt thu tiếp theo.") % name
                if approve
                else gettext("Đã không duyệt đề nghị miễn giảm cho %(name)s.") % name,
            )
        return redirect("fee_reductions")
    status = 400 if form.errors else 200
    context = {"reduction": reduction, "form": form}
    return render(request, "payments/catalogue/reduction_decide.html", context, status=status)


@school_role_required(*FEE_VIEWERS)
def reduction_evidence_view(request, pk):
    reduction = get_object_or_404(FeeReduction, pk=pk)
    if not reduction.evidence:
        return redirect("fee_reductions")
    return attachment_response(reduction.evidence, stem=f"minh-chung-mien-giam-{reduction.pk}")
