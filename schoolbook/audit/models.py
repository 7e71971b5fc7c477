"""AuditEvent: who did what to which object, before/after, when, from where.

The app is both shared and per school: platform events (onboarding, logins) land in the public schema,
a school's events in that school's schema, so a school's audit trail never mixes with another's."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "school.onboard": _("tạo trường"),
    "school.suspend": _("tạm ngừng trường"),
    "school.reactivate": _("mở lại trường"),
    "user.create": _("tạo tài khoản"),
    "user.platform_admin": _("cấp quyền quản trị nền tảng"),
    "staff.add": _("thêm cán bộ"),
    "roster.import": _("nhập danh sách học sinh"),
    "staff.import": _("nhập danh sách cán bộ"),
    "sector.export": _("xuất dữ liệu cho CSDL ngành"),
    "conversation.hide": _("ẩn một tin nhắn bị báo cáo"),
    "conversation.office_hours": _("đổi giờ làm việc nhận tin nhắn"),
    "conversation.settings": _("đổi cài đặt tin nhắn phụ huynh"),
    "conversation.board_read": _("đọc một cuộc trò chuyện theo quy định của trường"),
    "sector.ids_import": _("nhập mã định danh từ CSDL ngành"),
    "roster.seed_demo": _("tạo dữ liệu mẫu"),
    "enrolment.move": _("chuyển lớp"),
    "student.transfer_in": _("nhận học sinh chuyển đến"),
    "student.transfer_out": _("chuyển trường cho học sinh"),
    "transfer.request": _("gửi yêu cầu chuyển trường cho học sinh"),
    "transfer.incoming": _("gửi đến yêu cầu chuyển trường của học sinh"),
    "transfer.withdraw": _("rút yêu cầu chuyển trường của học sinh"),
    "transfer.decline": _("từ chối nhận học sinh chuyển đến"),
    "transfer.declined": _("nhận lời từ chối yêu cầu chuyển trường của học sinh"),
    "year.rollover": _("chuyển năm học"),
    "year.create": _("tạo năm học"),
    "year.dates": _("sửa ngày của năm học"),
    "year.make_current": _("đặt năm học hiện tại"),
    "class.create": _("tạo lớp"),
    "class.bulk_create": _("tạo nhiều lớp"),
    "class.update": _("sửa lớp"),
    "class.archive": _("lưu trữ lớp"),
    "subject_load.set": _("sửa danh mục môn học của khối"),
    "subject.add": _("thêm môn học"),
    "subject.rename": _("đổi tên môn học"),
    "subject.deactivate": _("ngừng dạy môn học"),
    "subject.activate": _("dạy lại môn học"),
    "assignment.add": _("phân công giảng dạy"),
    "assignment.remove": _("bỏ phân công giảng dạy"),
    "assessment_plan.update": _("điều chỉnh kế hoạch đánh giá"),
    "grade_entry.unlock": _("mở khóa nhập điểm"),
    "grade_entry.deadline": _("đặt hạn nhập điểm"),
    "conduct.set": _("đánh giá rèn luyện"),
    "primary_rating.save": _("nhập đánh giá môn học (tiểu học)"),
    "primary_quality.save": _("đánh giá phẩm chất, năng lực (tiểu học)"),
    "grades.publish": _("công bố điểm"),
    "gradebook_settings.update": _("thay đổi cài đặt sổ điểm"),
    "gradebook.import": _("nhập bảng điểm từ Excel"),
    "gradebook.export": _("xuất bảng điểm ra Excel"),
    "messaging_settings.update": _("sửa cài đặt gửi tin"),
    "notice.resend": _("gửi lại tin lỗi của thông báo"),
    "notice.submit": _("gửi thông báo"),
    "notice.approve": _("duyệt thông báo"),
    "notice.reject": _("từ chối thông báo"),
    "notice.cancel": _("hủy thông báo"),
    "notice.publish": _("phát hành thông báo"),
    "attendance.export": _("xuất dữ liệu điểm danh"),
    "roll_call.correct": _("sửa điểm danh"),
    "gate_device.register": _("đăng ký thiết bị ở cổng"),
    "gate_device.deactivate": _("ngừng dùng thiết bị ở cổng"),
    "gate_event.assign": _("gán học sinh cho sự kiện ở cổng"),
    "gate_event.dismiss": _("bỏ qua sự kiện ở cổng"),
    "attendance_settings.update": _("sửa cài đặt điểm danh"),
    "roll_call.backfill": _("điểm danh bù ngày đã qua"),
    "leave.request": _("gửi đơn xin nghỉ học"),
    "leave.approve": _("duyệt đơn xin nghỉ học"),
    "leave.reject": _("không duyệt đơn xin nghỉ học"),
    "leave.cancel": _("hủy đơn xin nghỉ học"),
    "login.succeeded": _("đăng nhập"),
    "login.failed": _("đăng nhập sai"),
    "otp.sent": _("gửi mã xác thực"),
    "otp.failed": _("nhập sai mã xác thực"),
    "otp.verified": _("xác thực mã"),
    "password.set": _("đặt mật khẩu"),
    "two_factor.setup": _("thiết lập xác thực hai lớp"),
    "two_factor.verified": _("xác thực hai lớp thành công"),
    "two_factor.failed": _("nhập sai mã xác thực hai lớp"),
    "two_factor.recovery_used": _("dùng mã dự phòng xác thực hai lớp"),
    "two_factor.reset": _("đặt lại xác thực hai lớp"),
    "timetable.save": _("lưu thời khoá biểu lớp"),
    "timetable.import": _("nhập thời khoá biểu từ Excel"),
    "timetable.settings": _("đổi số tiết mỗi buổi"),
}


class AuditEvent(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["action"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def sentence(self) -> str:
        """Who did what to what, as a sentence: "Lê Quản Trị A đã thêm cán bộ Vũ Giáo Viên"."""
        actor = (self.actor.full_name or str(self.actor)) if self.actor else gettext("Hệ thống")
        text = gettext("%(actor)s đã %(action)s %(object)s") % {
            "actor": actor, "action": self.action_label, "object": self.object_repr,
        }  # fmt: skip
        return text.strip()
