"""A receipt as a PDF (one A4 page), drawn with reportlab's platypus in DejaVu Sans, vendored under
static/vendor/dejavu-fonts-2.37/ with its licence: reportlab's built-in fonts have no Vietnamese letters
(ơ, ư, ậ…), and a font of the machine may be missing from the server image (docs/decisions.md, "Fees")."""

import io
from functools import cache
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from messaging.outbox.selectors import format_vnd
from payments.receipts.selectors import ReceiptSheet

FONT_DIR = settings.BASE_DIR / "static" / "vendor" / "dejavu-fonts-2.37"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
VOID_RED = colors.HexColor("#b42318")


@cache
def _fonts() -> None:
    pdfmetrics.registerFont(TTFont(REGULAR, FONT_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(BOLD, FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=10.5, leading=14)
    small = {"fontSize": 9, "leading": 12, "textColor": colors.HexColor("#333333")}
    variants = {
        "small": small,
        "small_right": {**small, "alignment": TA_RIGHT},
        "small_center": {**small, "alignment": TA_CENTER},
        "school": {"fontName": BOLD, "fontSize": 12, "leading": 15},
        "right": {"alignment": TA_RIGHT},
        "center": {"alignment": TA_CENTER},
        "title": {"fontName": BOLD, "fontSize": 17, "leading": 22, "alignment": TA_CENTER},
        "void": {
            "fontName": BOLD,
            "fontSize": 14,
            "leading": 18,
            "alignment": TA_CENTER,
            "textColor": VOID_RED,
        },
        "amount": {"fontName": BOLD, "fontSize": 12.5, "leading": 17},
    }
    return {"base": base} | {name: ParagraphStyle(name, parent=base, **kw) for name, kw in variants.items()}


def receipt_pdf(sheet: ReceiptSheet) -> bytes:
    _fonts()
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=gettext("Biên lai thu tiền %(label)s") % {"label": sheet.label},
        author=sheet.school_name,
        creator="Schoolbook",
    )
    on_page = _void_mark if sheet.voided else _nothing
    width = document.width - 12  # the frame's own padding, 6 pt on each side
    document.build(_story(sheet, _styles(), width), onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _story(sheet: ReceiptSheet, s: dict[str, ParagraphStyle], width: float) -> list:
    date = f"{sheet.issued_at:%d/%m/%Y}"
    story = [
        Table(
            [
                [
                    _p(sheet.school_name, s["school"]),
                    _p(gettext("Số: %(label)s") % {"label": sheet.label}, s["right"]),
                ]
            ],
            colWidths=[width * 0.65, width * 0.35],
            style=[
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ],
        ),
        Spacer(1, 8 * mm),
        _p(gettext("BIÊN LAI THU TIỀN"), s["title"]),
        _p(
            gettext("Ngày %(day)s tháng %(month)s năm %(year)s")
            % {
                "day": f"{sheet.issued_at:%d}",
                "month": f"{sheet.issued_at:%m}",
                "year": sheet.issued_at.year,
            },
            s["center"],
        ),
        Spacer(1, 5 * mm),
    ]
    if sheet.voided:
        story += [
            _p(gettext("ĐÃ HUỶ"), s["void"]),
            _p(
                gettext(
                    "Biên lai này đã huỷ ngày %(date)s (khoản nộp đã được điều chỉnh) và không còn giá trị."
                )
                % {"date": f"{sheet.voided_at:%d/%m/%Y}"},
                s["center"],
            ),
            Spacer(1, 4 * mm),
        ]
    facts = [
        (gettext("Học sinh"), f"{sheet.student.full_name} ({sheet.student.student_code})"),
        (gettext("Lớp"), sheet.class_name or "—"),
        (gettext("Hoá đơn"), f"{sheet.invoice_code} · {sheet.round_name}"),
        (gettext("Hình thức nộp"), sheet.source),
    ]
    if sheet.reference:
        facts.append((gettext("Mã giao dịch"), sheet.reference))
    facts.append((gettext("Ngày nhận"), date))
    story.append(
        Table(
            [[_p(label, s["small"]), _p(value, s["base"])] for label, value in facts],
            colWidths=[width * 0.28, width * 0.72],
            style=[("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")],
        )
    )
    story.append(Spacer(1, 4 * mm))
    rows = [
        [
            _p(gettext("Khoản thu"), s["small"]),
            _p(gettext("Số lượng"), s["small_right"]),
            _p(gettext("Miễn, giảm"), s["small_right"]),
            _p(gettext("Thành tiền"), s["small_right"]),
        ]
    ]
    for line in sheet.lines:
        rows.append(
            [
                _p(line.description, s["base"]),
                _p(str(line.quantity), s["right"]),
                _p(f"−{format_vnd(line.reduction)}" if line.reduction else "—", s["right"]),
                _p(format_vnd(line.amount), s["right"]),
            ]
        )
    rows.append(
        [_p(gettext("Tổng hoá đơn"), s["base"]), "", "", _p(format_vnd(sheet.invoice_total), s["right"])]
    )
    story.append(
        Table(
            rows,
            colWidths=[width * 0.46, width * 0.14, width * 0.2, width * 0.2],
            style=TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -2), 0.3, colors.HexColor("#999")),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (0, -1), 0),
                ]
            ),
        )
    )
    story += [
        Spacer(1, 5 * mm),
        _p(gettext("Số tiền nộp: %(amount)s") % {"amount": format_vnd(sheet.amount)}, s["amount"]),
        _p(gettext("Bằng chữ: %(words)s") % {"words": sheet.amount_words}, s["base"]),
    ]
    if sheet.partial:
        story.append(_p(gettext("Nộp một phần hoá đơn %(code)s.") % {"code": sheet.invoice_code}, s["small"]))
    story += [
        Spacer(1, 10 * mm),
        Table(
            [
                [_p(gettext("Người nộp tiền"), s["center"]), _p(gettext("Người thu tiền"), s["center"])],
                [
                    _p(gettext("(Ký, ghi rõ họ tên)"), s["small_center"]),
                    _p(gettext("(Ký, ghi rõ họ tên)"), s["small_center"]),
                ],
            ],
            colWidths=[width / 2, width / 2],
            style=[("ALIGN", (0, 0), (-1, -1), "CENTER")],
        ),
        Spacer(1, 22 * mm),
        _p(
            gettext(
                "Biên lai điện tử do Schoolbook lập khi nhà trường nhận được tiền; tra cứu trên ứng dụng."
            ),
            s["small"],
        ),
    ]
    return story


def _nothing(canvas, document) -> None:
    return None


def _void_mark(canvas, document) -> None:
    """A large diagonal "ĐÃ HUỶ" across the page, so a voided receipt cannot pass for a valid one."""
    canvas.saveState()
    canvas.setFillColor(VOID_RED, alpha=0.25)
    canvas.setFont(BOLD, 90)
    canvas.translate(A4[0] / 2, A4[1] / 2)
    canvas.rotate(35)
    canvas.drawCentredString(0, 0, gettext("ĐÃ HUỶ"))
    canvas.restoreState()
