"""The platform console at /console/: the schools, onboarding one, suspending and reactivating. Its admins
pass 2FA (accounts) before any page, and onboarding is wiring (schoolbook.onboarding), so it lives here."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.views_2fa import two_factor_required
from schoolbook.console.forms import SuspendForm
from schoolbook.onboarding import OnboardingError, school_onboard
from schoolbook.permissions import platform_admin_required
from tenants.forms import SchoolOnboardForm
from tenants.models import School
from tenants.selectors import school_counts, school_list
from tenants.services import school_reactivate, school_suspend

PAGE_SIZE = 25


@platform_admin_required
@two_factor_required
def console_schools(request):
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    page = Paginator(school_list(search=search, status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = school_counts(page.object_list)
    rows = [(school, counts.get(school.pk, {})) for school in page.object_list]
    return render(
        request,
        "tenants/console_schools.html",
        {"page": page, "rows": rows, "search": search, "status": status},
    )


@platform_admin_required
@two_factor_required
def console_school_new(request):
    form = SchoolOnboardForm(request.POST or None)
    if request.method == "POST":
        try:
            school = school_onboard(actor=request.user, data=request.POST)
        except OnboardingError:
            pass  # the bound form validates the same way and shows every error next to its field
        else:
            messages.success(
                request,
                gettext("Đã tạo trường “%(name)s”. Quản trị trường có thể đăng nhập bằng số điện thoại.")
                % {"name": school.name},
            )
            return redirect("console_schools")
    return render(request, "tenants/console_school_new.html", {"form": form})


@platform_admin_required
@two_factor_required
@require_POST
def console_school_suspend(request, code):
    school = get_object_or_404(School.objects.exclude(schema_name="public"), code=code)
    form = SuspendForm(request.POST)
    if form.is_valid():
        school_suspend(actor=request.user, school=school, reason=form.cleaned_data["reason"])
        messages.success(
            request,
            gettext("Đã tạm ngừng trường “%(name)s”. Dữ liệu của trường được giữ nguyên.")
            % {"name": school.name},
        )
    else:
        messages.error(request, gettext("Vui lòng nhập lý do tạm ngừng."))
    return redirect("console_schools")


@platform_admin_required
@two_factor_required
@require_POST
def console_school_reactivate(request, code):
    school = get_object_or_404(School.objects.exclude(schema_name="public"), code=code)
    school_reactivate(actor=request.user, school=school)
    messages.success(request, gettext("Trường “%(name)s” đã hoạt động trở lại.") % {"name": school.name})
    return redirect("console_schools")
