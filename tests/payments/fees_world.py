"""The fee world the parent, receipt and reminder tests share (inside school A's schema, with the `school`
fixture's classes 6A1 and 6A2)."""

from accounts.roles import Role
from payments.models import FeeReduction, Invoice
from students.models import Guardian, SchoolClass
from tests.factories import (
    account_make,
    fee_item_make,
    guardian_link,
    parent_make,
    round_invoice,
    round_make,
    staff_make,
    student_enrol,
)

MOTHER_PHONE = "0916000001"


class Fees:
    """School A with a receiving account: a mother of An (6A1, half the meals waived) and Em (6A2), another
    family's Bình (6A1), meals (monthly) and insurance (once) billed in September, a voluntary football club
    for 6A1, and an accountant."""

    def __init__(self, world):
        a1, a2 = SchoolClass.objects.get(name="6A1"), SchoolClass.objects.get(name="6A2")
        self.accountant = staff_make(world, "0916000009", "Trần Kế Toán", roles=[Role.ACCOUNTANT])
        self.an = student_enrol("PF-1", a1, "Nguyễn Văn An")
        self.em = student_enrol("PF-2", a2, "Nguyễn Thị Em")
        self.binh = student_enrol("PF-3", a1, "Lê Văn Bình")
        self.mother = parent_make(world, self.an, MOTHER_PHONE, "Nguyễn Thị Mẹ")
        guardian_link(self.em, MOTHER_PHONE)
        self.guardian = Guardian.objects.get(user=self.mother)
        self.other_parent = parent_make(world, self.binh, "0916000003", "Lê Văn Bố")
        self.meals = fee_item_make("Tiền ăn", 500_000)
        self.insurance = fee_item_make("Bảo hiểm y tế", 884_520, unit="once")
        self.club = fee_item_make("Câu lạc bộ bóng đá", 150_000, compulsory=False, classes=[a1])
        FeeReduction.objects.create(
            item=self.meals, student=self.an, kind=FeeReduction.Kind.PERCENT, value=50,
            reason="Hộ cận nghèo", status=FeeReduction.Status.APPROVED, requested_by=self.accountant,
        )  # fmt: skip
        self.account = account_make()
        self.round = round_make(self.accountant, [self.meals, self.insurance, self.club], name="Tháng 9")
        round_invoice(world.admin_a, self.round)
        self.an_invoice = Invoice.objects.get(student=self.an)
        self.em_invoice = Invoice.objects.get(student=self.em)
        self.binh_invoice = Invoice.objects.get(student=self.binh)
