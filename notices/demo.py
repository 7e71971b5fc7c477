"""Demo notices for `seed_demo`: what a parent sees in the inbox of a freshly seeded school. Written through
the real services by the principal, so they are published and their messages go through the pipeline (the
console gateway in `make run`)."""

from datetime import timedelta

from django.utils import timezone

from accounts.roles import Role
from notices.models import Audience, Category
from notices.services import NoticeData, notice_save
from students.models import GradeLevel, SchoolClass, StaffMember


def notices_seed() -> int:
    """In the current school's schema: a parent meeting for one class and an exam schedule for its grade
    level. Returns the number of notices published (0 without a principal or classes)."""
    principal = StaffMember.objects.filter(roles__contains=[Role.PRINCIPAL]).first()
    first_class = SchoolClass.objects.filter(year__is_current=True).order_by("grade__number", "name").first()
    if principal is None or first_class is None:
        return 0
    meeting_day = timezone.localdate() + timedelta(days=7)
    notices = [
        NoticeData(
            title=f"Họp phụ huynh lớp {first_class.name}",
            body=(
                f"Kính mời quý phụ huynh lớp {first_class.name} dự họp phụ huynh lúc 7 giờ 30 sáng "
                f"{meeting_day:%d/%m/%Y} tại phòng học của lớp. Nội dung: kết quả giữa học kỳ I, kế hoạch "
                "ôn tập và các khoản thu. Trân trọng."
            ),
            category=Category.PARENT_MEETING,
            audience=Audience.CLASSES,
            classes=[first_class],
        ),
        NoticeData(
            title=f"Lịch kiểm tra cuối học kỳ I khối {first_class.grade.number}",
            body=(
                "Học sinh kiểm tra cuối học kỳ I từ thứ Hai tuần sau: Toán và Ngữ văn buổi sáng thứ Hai, "
                "Tiếng Anh buổi sáng thứ Ba, các môn còn lại theo lịch của giáo viên bộ môn. Đề nghị phụ "
                "huynh nhắc các em ôn tập và đến trường đúng giờ."
            ),
            category=Category.EXAM_SCHEDULE,
            audience=Audience.GRADES,
            grades=list(GradeLevel.objects.filter(pk=first_class.grade_id)),
        ),
    ]
    for data in notices:
        notice_save(actor_staff=principal, data=data, submit=True)
    return len(notices)
