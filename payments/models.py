"""What a school is owed and what it received, in the school's own schema.

The catalogue (FeeItem) says what each student owes per unit; reductions (FeeReduction) and parents' opt-ins
to voluntary items (FeeOptIn) adjust it; a collection round (CollectionRound, "đợt thu") turns it into one
Invoice per student with its lines. Money arrives as BankTransaction rows (one per provider id: a bank feed, a
statement row or a VNPay payment) and is applied to invoices as Payment rows, which are never edited or
deleted: a correction is a reversing Payment. Every applied payment has its Receipt, numbered per school year.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schoolbook.uploads import stored_name
from students.models import GradeLevel, SchoolClass, SchoolYear, StaffMember, Student

MAX_AMOUNT = (
    1_000_000_000  # one billion đồng: far above any school fee, far below int64 and VietQR's 13 digits
)


class Unit(models.TextChoices):
    ONCE = "once", _("một lần")
    MONTH = "month", _("mỗi tháng")
    TERM = "term", _("mỗi học kỳ")
    YEAR = "year", _("mỗi năm")


class FeeItem(models.Model):
    """One fee of one school year. It applies to the whole school unless grades, classes or students are
    chosen (then to the union of them). A voluntary item reaches a student only after a guardian opts in."""

    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="fee_items")
    name = models.CharField(_("khoản thu"), max_length=120)
    amount = models.PositiveBigIntegerField(
        _("số tiền (đồng)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_AMOUNT)]
    )
    unit = models.CharField(_("đơn vị"), max_length=10, choices=Unit.choices)
    compulsory = models.BooleanField(_("bắt buộc"), default=True)
    grades = models.ManyToManyField(GradeLevel, blank=True, related_name="+", verbose_name=_("khối"))
    classes = models.ManyToManyField(SchoolClass, blank=True, related_name="+", verbose_name=_("lớp"))
    students = models.ManyToManyField(Student, blank=True, related_name="+", verbose_name=_("học sinh"))
    archived_at = models.DateTimeField(null=True, blank=True)  # no new invoices; old lines keep pointing here
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["year", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "name"],
                condition=models.Q(archived_at__isnull=True),
                name="fee_item_name_once",
            )
        ]

    def __str__(self):
        return self.name


class FeeOptIn(models.Model):
    """A guardian's choice of a voluntary item for a child (withdrawn by deleting it before invoicing)."""

    item = models.ForeignKey(FeeItem, on_delete=models.CASCADE, related_name="opt_ins")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="fee_opt_ins")
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "student"], name="fee_opt_in_once")]

    def __str__(self):
        return f"{self.student_id}: {self.item}"


def evidence_path(reduction: "FeeReduction", filename: str) -> str:
    """fee-evidence/<schema>/<random>.<pdf|jpg|png>: per school, never the uploaded name nor its extension."""
    return stored_name(f"fee-evidence/{connection.schema_name}", reduction.evidence)


class FeeReduction(models.Model):
    """An exemption or reduction (miễn, giảm) of one item for one student: a percentage or an amount per unit,
    with the reason and evidence; it applies only once the principal has approved it."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("phần trăm")
        AMOUNT = "amount", _("số tiền")

    class Status(models.TextChoices):
        PENDING = "pending", _("chờ duyệt")
        APPROVED = "approved", _("đã duyệt")
        REJECTED = "rejected", _("từ chối")

    item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="reductions")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="fee_reductions")
    kind = models.CharField(_("hình thức"), max_length=10, choices=Kind.choices)
    value = models.PositiveBigIntegerField(_("mức giảm"))  # percent 1–100, or đồng per unit
    reason = models.CharField(_("lý do"), max_length=300)
    evidence = models.FileField(_("minh chứng"), upload_to=evidence_path, max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "student"],
                condition=~models.Q(status="rejected"),
                name="fee_reduction_once",
            )
        ]

    def __str__(self):
        return f"{self.item}: {self.get_kind_display()} {self.value}"


class CollectionRound(models.Model):
    """A collection round (đợt thu): which items are billed, for how many months, due when. Generating it
    makes one invoice per student who owes something; generating again changes nothing unless the catalogue
    did."""

    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="collection_rounds")
    name = models.CharField(_("tên đợt thu"), max_length=120)
    months = models.PositiveSmallIntegerField(
        _("số tháng"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("Khoản thu theo tháng được tính nhân với số tháng này."),
    )  # fmt: skip
    items = models.ManyToManyField(FeeItem, related_name="rounds", verbose_name=_("khoản thu"))
    due_on = models.DateField(_("hạn nộp"))
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_on", "-pk"]
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="collection_round_name_once")]

    def __str__(self):
        return self.name


class InvoiceState(models.TextChoices):
    OPEN = "open", _("chưa nộp")
    PARTLY_PAID = "partly_paid", _("nộp một phần")
    PAID = "paid", _("đã nộp đủ")
    OVERPAID = "overpaid", _("nộp thừa")
    CANCELLED = "cancelled", _("đã huỷ")


class Invoice(models.Model):
    """What one student owes for one round. `code` (payments.codes, HD…) is what the transfer note carries;
    `total` is the sum of the lines, `paid` the sum of the payments; `state` follows from both (or is
    cancelled). Overdue is derived: due_on past and state open or partly paid."""

    round = models.ForeignKey(CollectionRound, on_delete=models.PROTECT, related_name="invoices")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="invoices")
    school_class = models.ForeignKey(  # the class when billed: the dashboard's rows
        SchoolClass, null=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(max_length=12, unique=True, null=True)  # set right after the row has its id
    due_on = models.DateField()
    total = models.BigIntegerField(default=0)
    paid = models.BigIntegerField(default=0)
    state = models.CharField(max_length=12, choices=InvoiceState.choices, default=InvoiceState.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["round", "student"], name="invoice_per_round_student")]
        indexes = [models.Index(fields=["state", "due_on"])]

    def __str__(self):
        return self.code or f"#{self.pk}"

    @property
    def outstanding(self) -> int:
        return max(self.total - self.paid, 0) if self.state != InvoiceState.CANCELLED else 0

    @property
    def is_overdue(self) -> bool:
        open_states = (InvoiceState.OPEN, InvoiceState.PARTLY_PAID)
        return self.state in open_states and self.due_on < timezone.localdate()


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="lines")
    description = models.CharField(max_length=160)
    quantity = models.PositiveSmallIntegerField(default=1)
    unit_amount = models.BigIntegerField()
    reduction = models.BigIntegerField(default=0)  # đồng taken off by an approved FeeReduction
    amount = models.BigIntegerField()  # unit_amount × quantity − reduction

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["invoice", "item"], name="invoice_line_per_item")]

    def __str__(self):
        return self.description


class ReceivingAccount(models.Model):
    """The school's bank account that parents pay into (one per school): the VietQR on every invoice."""

    bank_bin = models.CharField(_("ngân hàng"), max_length=6)
    account_number = models.CharField(_("số tài khoản"), max_length=19)
    account_name = models.CharField(_("tên tài khoản"), max_length=70)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.bank_bin} {self.account_number}"


class PaymentProvider(models.Model):
    """The school's own account with a payment service: a bank-notification service (SePay or Casso, whose
    webhooks are checked with its key) or VNPay (merchant code and hash secret). The credentials are one
    JSON object sealed (schoolbook.sealed); only `hint` (the last characters of a key) is in clear."""

    class Provider(models.TextChoices):
        SEPAY = "sepay", "SePay"
        CASSO = "casso", "Casso"
        VNPAY = "vnpay", "VNPay"

    provider = models.CharField(max_length=10, choices=Provider.choices, unique=True)
    credentials = models.TextField()
    hint = models.CharField(max_length=8, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.get_provider_display()


class BankTransaction(models.Model):
    """Money that reached the school's account, once per (source, provider id): a replayed webhook or a
    statement imported twice finds its row and changes nothing. Only what matching and the accountant need
    is kept: the counter account is masked."""

    class Source(models.TextChoices):
        SEPAY = "sepay", "SePay"
        CASSO = "casso", "Casso"
        STATEMENT = "statement", _("sao kê")
        VNPAY = "vnpay", "VNPay"

    class Status(models.TextChoices):
        MATCHED = "matched", _("đã khớp")
        UNMATCHED = "unmatched", _("chưa khớp")
        REFUNDED = "refunded", _("đã hoàn tiền")

    source = models.CharField(max_length=10, choices=Source.choices)
    provider_id = models.CharField(max_length=64)
    amount = models.BigIntegerField()
    note = models.CharField(max_length=500)
    reference = models.CharField(max_length=64, blank=True)
    counter_account = models.CharField(max_length=24, blank=True)  # masked: "••••6789"
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNMATCHED)
    unapplied = models.BigIntegerField(default=0)  # đồng not applied to any invoice (the unmatched queue)
    refund_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "provider_id"], name="bank_transaction_once")
        ]
        indexes = [models.Index(fields=["status", "occurred_at"])]

    def __str__(self):
        return f"{self.get_source_display()} {self.provider_id}"


class Payment(models.Model):
    """Money applied to an invoice from a transaction. Written once, never changed: a correction is another
    Payment with the opposite amount that names the one it reverses."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    transaction = models.ForeignKey(BankTransaction, on_delete=models.PROTECT, related_name="payments")
    amount = models.BigIntegerField()
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.ForeignKey(  # None: matched by the system from the transfer note
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.amount} → {self.invoice_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("A payment is never changed: reverse it instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("A payment is never deleted: reverse it instead.")


class Receipt(models.Model):
    """The receipt (biên lai) of one payment: numbered without gaps per school year."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    issued_at = models.DateTimeField(default=timezone.now)
    voided_at = models.DateTimeField(null=True, blank=True)  # its payment was reversed

    class Meta:
        ordering = ["year", "number"]
        constraints = [models.UniqueConstraint(fields=["year", "number"], name="receipt_number_once")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return f"{self.year.starts_on.year}-{self.number:06d}"


class VnpayOrder(models.Model):
    """A parent's attempt to pay an invoice through VNPay: `txn_ref` is our vnp_TxnRef. Only the IPN changes
    its status (and then the invoice); the return page only reads it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("đang chờ")
        PAID = "paid", _("thành công")
        FAILED = "failed", _("không thành công")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="vnpay_orders")
    txn_ref = models.CharField(max_length=40, unique=True)
    amount = models.BigIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    response_code = models.CharField(max_length=4, blank=True)
    transaction_no = models.CharField(max_length=40, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.txn_ref


class Reminder(models.Model):
    """A reminder sent for one invoice at one step: the constraint makes it once per invoice and step."""

    class Step(models.TextChoices):
        BEFORE_DUE = "before_due", _("sắp đến hạn")
        OVERDUE = "overdue", _("quá hạn")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    step = models.CharField(max_length=12, choices=Step.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invoice", "step"], name="reminder_once_per_step")]

    def __str__(self):
        return f"{self.invoice_id}: {self.step}"


class StatementMapping(models.Model):
    """How one bank's statement file names its columns, saved after the first import so the next one from
    that bank needs no mapping. Values are the header texts of the file."""

    bank_bin = models.CharField(max_length=6, unique=True)
    columns = models.JSONField()  # {"date": "...", "amount": "...", "note": "...", "reference": "..."}
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.bank_bin
