"""Banks that receive VietQR transfers (NAPAS 247 members), by BIN: the choices of the school's receiving
account. The list is NAPAS's as VietQR publishes it (api.vietqr.io/v2/banks, 2025); a BIN not here is refused,
since a QR with an unknown BIN is a transfer no banking app can make."""

from typing import NamedTuple


class Bank(NamedTuple):
    bin: str
    short_name: str
    name: str


BANKS = (
    Bank("970436", "Vietcombank", "Ngân hàng TMCP Ngoại thương Việt Nam"),
    Bank("970415", "VietinBank", "Ngân hàng TMCP Công thương Việt Nam"),
    Bank("970418", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
    Bank("970405", "Agribank", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam"),
    Bank("970422", "MB", "Ngân hàng TMCP Quân đội"),
    Bank("970407", "Techcombank", "Ngân hàng TMCP Kỹ thương Việt Nam"),
    Bank("970416", "ACB", "Ngân hàng TMCP Á Châu"),
    Bank("970432", "VPBank", "Ngân hàng TMCP Việt Nam Thịnh Vượng"),
    Bank("970423", "TPBank", "Ngân hàng TMCP Tiên Phong"),
    Bank("970403", "Sacombank", "Ngân hàng TMCP Sài Gòn Thương Tín"),
    Bank("970437", "HDBank", "Ngân hàng TMCP Phát triển TP. Hồ Chí Minh"),
    Bank("970448", "OCB", "Ngân hàng TMCP Phương Đông"),
    Bank("970454", "BVBank", "Ngân hàng TMCP Bản Việt"),
    Bank("970429", "SCB", "Ngân hàng TMCP Sài Gòn"),
    Bank("970441", "VIB", "Ngân hàng TMCP Quốc tế Việt Nam"),
    Bank("970443", "SHB", "Ngân hàng TMCP Sài Gòn – Hà Nội"),
    Bank("970431", "Eximbank", "Ngân hàng TMCP Xuất Nhập khẩu Việt Nam"),
    Bank("970426", "MSB", "Ngân hàng TMCP Hàng Hải Việt Nam"),
    Bank("970400", "Saigonbank", "Ngân hàng TMCP Sài Gòn Công Thương"),
    Bank("970409", "Bac A Bank", "Ngân hàng TMCP Bắc Á"),
    Bank("970412", "PVcomBank", "Ngân hàng TMCP Đại Chúng Việt Nam"),
    Bank("970414", "MBV", "Ngân hàng TNHH MTV Việt Nam Hiện Đại"),
    Bank("970419", "NCB", "Ngân hàng TMCP Quốc Dân"),
    Bank("970424", "Shinhan Bank", "Ngân hàng TNHH MTV Shinhan Việt Nam"),
    Bank("970425", "ABBANK", "Ngân hàng TMCP An Bình"),
    Bank("970427", "VietABank", "Ngân hàng TMCP Việt Á"),
    Bank("970428", "Nam A Bank", "Ngân hàng TMCP Nam Á"),
    Bank("970430", "PGBank", "Ngân hàng TMCP Thịnh vượng và Phát triển"),
    Bank("970433", "Vietbank", "Ngân hàng TMCP Việt Nam Thương Tín"),
    Bank("970438", "BaoViet Bank", "Ngân hàng TMCP Bảo Việt"),
    Bank("970440", "SeABank", "Ngân hàng TMCP Đông Nam Á"),
    Bank("970446", "Co-opBank", "Ngân hàng Hợp tác xã Việt Nam"),
    Bank("970449", "LPBank", "Ngân hàng TMCP Lộc Phát Việt Nam"),
    Bank("970452", "KienlongBank", "Ngân hàng TMCP Kiên Long"),
    Bank("970408", "GPBank", "Ngân hàng TNHH MTV Dầu Khí Toàn Cầu"),
    Bank("970406", "Vikki Bank", "Ngân hàng TNHH MTV Số Vikki"),
    Bank("970444", "CBBank", "Ngân hàng TNHH MTV Xây dựng Việt Nam"),
    Bank("970421", "VRB", "Ngân hàng Liên doanh Việt – Nga"),
    Bank("970434", "Indovina", "Ngân hàng TNHH Indovina"),
    Bank("970442", "Hong Leong", "Ngân hàng TNHH MTV Hong Leong Việt Nam"),
    Bank("970439", "Public Bank", "Ngân hàng TNHH MTV Public Việt Nam"),
    Bank("970457", "Woori", "Ngân hàng TNHH MTV Woori Việt Nam"),
    Bank("970458", "UOB", "Ngân hàng United Overseas Việt Nam"),
    Bank("970410", "Standard Chartered", "Ngân hàng TNHH MTV Standard Chartered Việt Nam"),
    Bank("458761", "HSBC", "Ngân hàng TNHH MTV HSBC (Việt Nam)"),
    Bank("422589", "CIMB", "Ngân hàng TNHH MTV CIMB Việt Nam"),
    Bank("546034", "CAKE", "Ngân hàng số CAKE by VPBank"),
    Bank("546035", "Ubank", "Ngân hàng số Ubank by VPBank"),
    Bank("963388", "Timo", "Ngân hàng số Timo by Bản Việt"),
    Bank("971005", "Viettel Money", "Tổng Công ty Dịch vụ số Viettel"),
    Bank("971011", "VNPT Money", "VNPT Money"),
    Bank("999888", "VBSP", "Ngân hàng Chính sách Xã hội"),
)

BY_BIN = {bank.bin: bank for bank in BANKS}


def bank_for(bin_code: str) -> Bank | None:
    return BY_BIN.get(bin_code)


def bank_label(bin_code: str) -> str:
    bank = BY_BIN.get(bin_code)
    return f"{bank.short_name} – {bank.name}" if bank else bin_code
