"""The office's own staff, managed by its heads: the list (with who has set up two-factor authentication),
adding a specialist, removing a colleague after a confirmation. The changes are offices.services' (the
console's too), audited there; a specialist, like anyone outside the office, gets 404."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from offices.models import OfficeStaff
from offices.permissions import office_head_required
from offices.selectors import office_staff
from offices.services import OfficeError, office_staff_add, office_staff_remove
from offices.staff.forms import SpecialistForm
from schoolbook.confirm import confirm_page, confirmation_token, confirmed
from schoolbook.phones import display_phone


@office_head_required
def staff_list(request):
    office = request.office
    form = SpecialistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            office_staff_add(actor=request.user, office=office, role=OfficeStaff.Role.SPECIALIST,
                             **form.cleaned_data)  # fmt: skip
        except OfficeError as error:
            form.add_error("phone", str(error))
        else:
            messages.success(
                request,
                gettext(
                    "Đã thêm %(name)s. Lần đầu họ đăng nhập bằng số điện thoại %(phone)s và mã gửi qua tin "
                    "nhắn, đặt mật khẩu, rồi thiết lập xác thực hai lớp."
                )
                % {
                    "name": form.cleaned_data["full_name"],
                    "phone": display_phone(form.cleaned_data["phone"]),
                },
            )
            return redirect("office_staff", code=office.code)
    staff = list(office_staff(office=office))  # tens of people: no paging
    specialists = any(seat.role == OfficeStaff.Role.SPECIALIST for seat in staff)
    context = {"office": office, "staff": staff, "specialists": specialists, "form": form}
    return render(request, "offices/staff.html", context, status=400 if form.errors else 200)


@office_head_required
def staff_remove(request, seat_id):
    """GET or an unconfirmed POST: what removing the seat does; the confirmed POST: remove it."""
    office = request.office
    seat = get_object_or_404(office.staff.select_related("user"), pk=seat_id)
    back = reverse("office_staff", kwargs={"code": office.code})
    token = confirmation_token("office-staff-remove", office.pk, seat.pk, seat.user_id, seat.role)
    if confirmed(request, token):
        try:
            office_staff_remove(actor=request.user, office=office, seat_id=seat.pk)
        except OfficeError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, gettext("Đã gỡ %(name)s khỏi đơn vị.") % {"name": _name(seat)})
        return redirect(back)
    return confirm_page(
        request,
        title=gettext("Gỡ %(name)s khỏi đơn vị?") % {"name": _name(seat)},
        action=request.path,
        token=token,
        summary=[
            gettext("%(name)s (%(role)s, %(phone)s) sẽ không mở được các trang của đơn vị nữa, ngay từ lần "
                    "bấm tiếp theo.")
            % {"name": _name(seat), "role": seat.get_role_display(), "phone": display_phone(seat.user.phone)},
            gettext("Tài khoản của họ vẫn còn, và những gì họ đã làm (yêu cầu báo cáo, quyết định duyệt) vẫn "
                    "giữ nguyên. Có thể thêm lại họ sau."),
        ],
        button=gettext("Gỡ khỏi đơn vị"),
        back=back,
    )  # fmt: skip


def _name(seat: OfficeStaff) -> str:
    return seat.user.full_name or display_phone(seat.user.phone)
