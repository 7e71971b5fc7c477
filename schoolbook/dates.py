"""Moments in words, as people say them, with no Django import: "7 tháng 12, 2026 lúc 09:15"."""

import datetime

EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WORDS = {
    "vi": {"today": "hôm nay", "yesterday": "hôm qua", "at": "lúc"},
    "en": {"today": "today", "yesterday": "yesterday", "at": "at"},
}


def moment_words(moment: datetime.datetime, *, today: datetime.date, language: str) -> str:
    """`moment` (already in local time) relative to `today`: "hôm nay lúc 09:15", "hôm qua lúc 18:02",
    else "7 tháng 12, 2026 lúc 09:15". English ("en…"): "today at 09:15", "7 December 2026 at 09:15".
    Any other language reads Vietnamese, the product's first language."""
    lang = "en" if language.lower().startswith("en") else "vi"
    words = WORDS[lang]
    day = moment.date()
    if day == today:
        when = words["today"]
    elif day == today - datetime.timedelta(days=1):
        when = words["yesterday"]
    elif lang == "en":
        when = f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"
    else:
        when = f"{day.day} tháng {day.month}, {day.year}"
    return f"{when} {words['at']} {moment:%H:%M}"
