"""The subject catalogue of the 2018 general education programme (Circular 32/2018/TT-BGDĐT), seeded into each
new school and editable there. Periods are per school year (35 weeks).

(unconfirmed) The period numbers were transcribed from the programme's plan tables, not from DOMAIN.md; they
are data, shown to the school admin, who corrects them before grade entry starts (docs/decisions.md)."""

from dataclasses import dataclass

PRIMARY, LOWER, UPPER = "primary", "lower_secondary", "upper_secondary"
SCORED, PASS_FAIL, RATING = "scored", "pass_fail", "primary_rating"
GRADES = {PRIMARY: range(1, 6), LOWER: range(6, 10), UPPER: range(10, 13)}


@dataclass(frozen=True)
class SubjectSpec:
    code: str
    name: str
    assessment: str
    periods: dict[int, int]  # grade → periods per year; grades without an entry do not have the subject
    has_periodic_test: bool = False


def _all(level: str, periods: int) -> dict[int, int]:
    return dict.fromkeys(GRADES[level], periods)


CATALOGUE: dict[str, list[SubjectSpec]] = {
    PRIMARY: [
        SubjectSpec("tieng-viet", "Tiếng Việt", RATING, {1: 420, 2: 350, 3: 245, 4: 245, 5: 245}, True),
        SubjectSpec("toan", "Toán", RATING, {1: 105, 2: 175, 3: 175, 4: 175, 5: 175}, True),
        SubjectSpec("ngoai-ngu-1", "Ngoại ngữ 1", RATING, {3: 140, 4: 140, 5: 140}, True),
        SubjectSpec("dao-duc", "Đạo đức", RATING, _all(PRIMARY, 35)),
        SubjectSpec("tu-nhien-xa-hoi", "Tự nhiên và Xã hội", RATING, {1: 70, 2: 70, 3: 70}),
        SubjectSpec("lich-su-dia-li", "Lịch sử và Địa lí", RATING, {4: 70, 5: 70}, True),
        SubjectSpec("khoa-hoc", "Khoa học", RATING, {4: 70, 5: 70}, True),
        SubjectSpec("tin-hoc-cong-nghe", "Tin học và Công nghệ", RATING, {3: 70, 4: 70, 5: 70}, True),
        SubjectSpec("giao-duc-the-chat", "Giáo dục thể chất", RATING, _all(PRIMARY, 70)),
        SubjectSpec("nghe-thuat", "Nghệ thuật (Âm nhạc, Mĩ thuật)", RATING, _all(PRIMARY, 70)),
        SubjectSpec("hoat-dong-trai-nghiem", "Hoạt động trải nghiệm", RATING, _all(PRIMARY, 105)),
    ],
    LOWER: [
        SubjectSpec("ngu-van", "Ngữ văn", SCORED, _all(LOWER, 140)),
        SubjectSpec("toan", "Toán", SCORED, _all(LOWER, 140)),
        SubjectSpec("ngoai-ngu-1", "Ngoại ngữ 1", SCORED, _all(LOWER, 105)),
        SubjectSpec("giao-duc-cong-dan", "Giáo dục công dân", SCORED, _all(LOWER, 35)),
        SubjectSpec("lich-su-dia-li", "Lịch sử và Địa lí", SCORED, _all(LOWER, 105)),
        SubjectSpec("khoa-hoc-tu-nhien", "Khoa học tự nhiên", SCORED, _all(LOWER, 140)),
        SubjectSpec("cong-nghe", "Công nghệ", SCORED, {6: 35, 7: 35, 8: 52, 9: 52}),
        SubjectSpec("tin-hoc", "Tin học", SCORED, _all(LOWER, 35)),
        SubjectSpec("giao-duc-the-chat", "Giáo dục thể chất", PASS_FAIL, _all(LOWER, 70)),
        SubjectSpec("nghe-thuat", "Nghệ thuật (Âm nhạc, Mĩ thuật)", PASS_FAIL, _all(LOWER, 70)),
        SubjectSpec(
            "hoat-dong-trai-nghiem", "Hoạt động trải nghiệm, hướng nghiệp", PASS_FAIL, _all(LOWER, 105)
        ),
        SubjectSpec("giao-duc-dia-phuong", "Nội dung giáo dục của địa phương", PASS_FAIL, _all(LOWER, 35)),
    ],
    UPPER: [
        SubjectSpec("ngu-van", "Ngữ văn", SCORED, _all(UPPER, 105)),
        SubjectSpec("toan", "Toán", SCORED, _all(UPPER, 105)),
        SubjectSpec("ngoai-ngu-1", "Ngoại ngữ 1", SCORED, _all(UPPER, 105)),
        SubjectSpec("lich-su", "Lịch sử", SCORED, _all(UPPER, 52)),
        SubjectSpec("gdqp-an", "Giáo dục quốc phòng và an ninh", SCORED, _all(UPPER, 35)),
        SubjectSpec("dia-li", "Địa lí", SCORED, _all(UPPER, 70)),
        SubjectSpec("gd-kinh-te-phap-luat", "Giáo dục kinh tế và pháp luật", SCORED, _all(UPPER, 70)),
        SubjectSpec("vat-li", "Vật lí", SCORED, _all(UPPER, 70)),
        SubjectSpec("hoa-hoc", "Hóa học", SCORED, _all(UPPER, 70)),
        SubjectSpec("sinh-hoc", "Sinh học", SCORED, _all(UPPER, 70)),
        SubjectSpec("cong-nghe", "Công nghệ", SCORED, _all(UPPER, 70)),
        SubjectSpec("tin-hoc", "Tin học", SCORED, _all(UPPER, 70)),
        SubjectSpec("giao-duc-the-chat", "Giáo dục thể chất", PASS_FAIL, _all(UPPER, 70)),
        SubjectSpec("am-nhac", "Âm nhạc", PASS_FAIL, _all(UPPER, 70)),
        SubjectSpec("mi-thuat", "Mĩ thuật", PASS_FAIL, _all(UPPER, 70)),
        SubjectSpec(
            "hoat-dong-trai-nghiem", "Hoạt động trải nghiệm, hướng nghiệp", PASS_FAIL, _all(UPPER, 105)
        ),
        SubjectSpec("giao-duc-dia-phuong", "Nội dung giáo dục của địa phương", PASS_FAIL, _all(UPPER, 35)),
    ],
}


def regular_assessments(periods_per_year: int, assessment: str) -> int:
    """Circular 22, art. 7: regular assessments per subject per semester."""
    if assessment == PASS_FAIL:
        return 2
    if periods_per_year <= 35:
        return 2
    if periods_per_year <= 70:
        return 3
    return 4
