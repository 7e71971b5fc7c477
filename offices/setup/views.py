"""The platform console's pages for education offices: creating one, the schools it covers (its area's at
once, or one by one) and its staff. Platform admins only, past 2FA, as the rest of the console."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.views_2fa import two_factor_required
from offices.models import EducationOffice
from offices.services import (
    OfficeError,
    office_create,
    office_school_add,
    office_school_withdraw,
    office_schools_add_area,
    office_staff_add,
    office_staff_remove,
)
from offices.setup.forms import OfficeForm, SchoolCodeForm, StaffForm
from schoolbook.permissions import platform_admin_required
from tenants.models import School

PAGE_SIZE = 50


def console_view(view):
    return platform_admin_required(two_factor_required(view))


@console_view
def console_offices(request):
    form = OfficeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        office = office_create(actor=request.user, cleaned=form.cleaned_data)
        messages.success(
            request,
            gettext("Đã tạo “%(name)s” với %(count)d trường trong địa bàn.")
            % {"name": office.name, "count": office.memberships.count()},
        )
        return redirect("console_office", code=office.code)
    offices = EducationOffice.objects.order_by("province", "name")
    page = Paginator(offices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "offices/console_offices.html", {"form": form, "page": page})


@console_view
def console_office(request, code):
    office = get_object_or_404(EducationOffice, code=code)
    schools = School.objects.filter(office_memberships__office=office).order_by("name")
    context = {
        "office": office,
        "page": Paginator(schools, PAGE_SIZE).get_page(request.GET.get("page")),
        "staff": office.staff.select_related("user").order_by("user__full_name"),
        "school_form": SchoolCodeForm(),
        "staff_form": StaffForm(),
    }
    if request.method == "POST":
        handled = _console_office_post(request, office, context)
        if handled:
            return redirect("console_office", code=office.code)
    return render(request, "offices/console_office.html", context)


def _console_office_post(request, office, context) -> bool:
    """Apply the posted change; False when a form has errors to show."""
    action = request.POST.get("action")
    try:
        if action == "add_area":
            count = office_schools_add_area(actor=request.user, office=office)
            messages.success(request, gettext("Đã thêm %(count)d trường trong địa bàn.") % {"count": count})
        elif action == "add_school":
            form = context["school_form"] = SchoolCodeForm(request.POST)
            if not form.is_valid():
                return False
            school = office_school_add(actor=request.user, office=office, code=form.cleaned_data["code"])
            messages.success(request, gettext("Đã thêm “%(name)s”.") % {"name": school.name})
        elif action == "add_staff":
            form = context["staff_form"] = StaffForm(request.POST)
            if not form.is_valid():
                return False
            office_staff_add(actor=request.user, office=office, **form.cleaned_data)
            messages.success(
                request,
                gettext("Đã thêm cán bộ. Họ đăng nhập bằng số điện thoại %(phone)s.")
                % {"phone": form.cleaned_data["phone"]},
            )
    except OfficeError as error:
        messages.error(request, str(error))
    return True


@console_view
@require_POST
def console_office_withdraw(request, code, school_code):
    office = get_object_or_404(EducationOffice, code=code)
    school = get_object_or_404(School, code=school_code)
    office_school_withdraw(actor=request.user, office=office, school=school)
    messages.success(request, gettext("Đã rút “%(name)s” khỏi đơn vị.") % {"name": school.name})
    return redirect("console_office", code=office.code)


@console_view
@require_POST
def console_office_staff_remove(request, code, seat_id):
    office = get_object_or_404(EducationOffice, code=code)
    try:
        office_staff_remove(actor=request.user, office=office, seat_id=seat_id)
    except OfficeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("Đã gỡ cán bộ khỏi đơn vị."))
    return redirect("console_office", code=office.code)
