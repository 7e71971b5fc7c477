"""Vietnamese first, English on request: the language cookie, the switcher, and the English catalogue."""

import gettext
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
ENGLISH_PHONE = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def _choose(client, language, next_url="/login/"):
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    return response


# --- choosing the language ----------------------------------------------------------------------------


def test_vietnamese_by_default_even_for_a_phone_set_to_english(client, world):
    response = client.get("/login/", **ENGLISH_PHONE)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="vi">' in page
    assert "<h1>Đăng nhập</h1>" in page and "Log in" not in page
    assert response["Content-Language"] == "vi"
    assert "Cookie" in response["Vary"]


def test_an_unknown_language_in_the_cookie_falls_back_to_vietnamese(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get("/login/", **ENGLISH_PHONE)
    assert response["Content-Language"] == "vi"
    assert "<h1>Đăng nhập</h1>" in response.content.decode()


def test_switching_to_english_and_back(client, world):
    _choose(client, "en")
    english = client.get("/login/", **ENGLISH_PHONE)
    page = english.content.decode()
    assert '<html lang="en">' in page and english["Content-Language"] == "en"
    assert "<h1>Log in</h1>" in page and "Đăng nhập" not in page
    assert "Phone number" in page and "Get a code by text message" in page

    _choose(client, "vi")
    assert "<h1>Đăng nhập</h1>" in client.get("/login/", **ENGLISH_PHONE).content.decode()


def test_the_switcher_is_a_post_form_to_the_public_set_language_view(client, world):
    page = client.get("/login/?next=/s/test-a/").content.decode()
    form = re.search(r'<form method="post" action="/i18n/setlang/".*?</form>', page, re.S).group(0)
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'name="next" value="/login/?next=/s/test-a/"' in form
    assert 'value="vi"' in form and 'value="en"' in form
    assert "Tiếng Việt" in form and "English" in form


def test_the_switcher_works_from_a_school_page(client, world):
    client.force_login(world.teacher_a)
    page = client.get("/s/test-a/").content.decode()
    assert 'action="/i18n/setlang/"' in page and 'name="next" value="/s/test-a/"' in page
    assert "Cán bộ, giáo viên" in page

    _choose(client, "en", next_url="/s/test-a/")
    page = client.get("/s/test-a/").content.decode()
    assert '<html lang="en">' in page
    assert "Hello Vũ Giáo Viên — Teacher." in page  # a lazy model label, translated at render time
    assert "Staff and teachers" in page and "Cán bộ, giáo viên" not in page
    assert "Log out" in page and "My schools" in page


def test_the_404_of_an_unknown_school_is_in_the_chosen_language(client, world):
    _choose(client, "en")
    response = client.get("/s/no-such-school/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_language_of_one_request_does_not_leak_into_the_next_code(client, world):
    _choose(client, "en")
    client.get("/login/")
    assert translation.get_language() == settings.LANGUAGE_CODE
    assert translation.gettext("Đăng nhập") == "Đăng nhập"


# --- messages from services and views -----------------------------------------------------------------


def test_a_service_error_is_shown_in_english(client, world):
    wrong = {"phone": "0900000013", "password": "sai-mat-khau"}
    assert "Số điện thoại hoặc mật khẩu không đúng." in client.post("/login/", wrong).content.decode()
    _choose(client, "en")
    page = client.post("/login/", wrong).content.decode()
    assert "Wrong phone number or password." in page
    assert "Số điện thoại hoặc mật khẩu không đúng." not in page


@pytest.mark.parametrize(
    ("typed", "vietnamese", "english"),
    [
        ("0912", "Số điện thoại không hợp lệ: 0912 (quá ngắn)", "Invalid phone number: 0912 (too short)"),
        (
            "+1 650 253 0000",
            "Chỉ chấp nhận số điện thoại Việt Nam",
            "Only Vietnamese phone numbers are accepted",
        ),
    ],
)
def test_phone_errors_are_translated(client, world, typed, vietnamese, english):
    client.force_login(world.principal_a)
    form = {"full_name": "Ngô Văn Mới", "phone": typed, "roles": ["teacher"]}
    assert vietnamese in client.post("/s/test-a/staff/", form).content.decode()
    _choose(client, "en", "/s/test-a/staff/")
    assert english in client.post("/s/test-a/staff/", form).content.decode()


def test_a_service_error_follows_the_active_language(db):
    from accounts.services import AccountError, otp_verify

    with translation.override("en"), pytest.raises(AccountError, match="The code is wrong or has expired"):
        otp_verify(phone="not a phone", code="123456")
    with pytest.raises(AccountError, match="Mã không đúng hoặc đã hết hạn"):
        otp_verify(phone="not a phone", code="123456")


def test_plural_messages_read_well_in_english():
    with translation.override("en"):
        one = translation.ngettext(
            "Mã không đúng hoặc đã hết hạn. Bạn còn %(left)d lần thử.",
            "Mã không đúng hoặc đã hết hạn. Bạn còn %(left)d lần thử.",
            1,
        )
        many = translation.ngettext(
            "Mã không đúng hoặc đã hết hạn. Bạn còn %(left)d lần thử.",
            "Mã không đúng hoặc đã hết hạn. Bạn còn %(left)d lần thử.",
            4,
        )
    assert one % {"left": 1} == "The code is wrong or has expired. You have 1 attempt left."
    assert many % {"left": 4} == "The code is wrong or has expired. You have 4 attempts left."


def test_flash_messages_are_translated(client, world):
    client.force_login(world.platform_admin)
    _choose(client, "en", next_url="/console/")
    response = client.post(f"/console/schools/{world.school_b.code}/suspend/", {"reason": ""}, follow=True)
    assert "Please enter a reason for the suspension." in response.content.decode()


# --- the catalogue ------------------------------------------------------------------------------------


def _catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def _translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def test_every_message_is_translated_and_nothing_is_fuzzy():
    catalogue = _catalogue()
    assert catalogue.metadata.get("Language") == "en"
    assert not catalogue.metadata_is_fuzzy
    assert not catalogue.obsolete_entries(), f"obsolete entries left in {PO.name}"
    entries = [entry for entry in catalogue if not entry.obsolete]
    assert len(entries) > 100
    for entry in entries:
        assert "fuzzy" not in entry.flags, entry.msgid
        assert _translations(entry) and all(_translations(entry)), f"untranslated: {entry.msgid!r}"
        if entry.msgid_plural:
            assert set(entry.msgstr_plural) >= {0, 1}, entry.msgid
        if "python-format" in entry.flags:
            for text in _translations(entry):
                assert set(re.findall(r"%\(\w+\)", text)) == set(re.findall(r"%\(\w+\)", entry.msgid))


def test_the_compiled_catalogue_matches_the_po_file():
    """django.mo is committed (CI has no gettext): it must be compiled from the current django.po."""
    with MO.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    expected = {}
    for entry in _catalogue():
        if entry.obsolete:
            continue
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural:
            for index, value in entry.msgstr_plural.items():
                expected[(msgid, int(index))] = value
        else:
            expected[msgid] = entry.msgstr
    compiled = {key: value for key, value in catalog._catalog.items() if key != ""}
    assert compiled == expected, "run: manage.py compilemessages -l en --ignore=.venv"
    assert catalog.gettext("Đăng nhập") == "Log in"
    assert catalog.gettext("Số điện thoại hoặc mật khẩu không đúng.") == "Wrong phone number or password."
    assert catalog.pgettext("trang sau", "Sau") == "Next"


def _template_literals() -> set[str]:
    found = set()
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for double, single in re.findall(r"""\{% translate (?:"([^"]+)"|'([^']+)')""", text):
            found.add(double or single)
    return found


def test_every_translate_tag_is_in_the_catalogue():
    msgids = {entry.msgid for entry in _catalogue() if not entry.obsolete}
    missing = _template_literals() - msgids
    assert not missing, f"run makemessages and translate: {sorted(missing)}"


VIETNAMESE_LETTERS = re.compile(
    r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I
)


@pytest.mark.parametrize("template", sorted((ROOT / "templates").rglob("*.html")), ids=lambda path: path.name)
def test_templates_have_no_unmarked_vietnamese_text(template):
    text = template.read_text(encoding="utf-8")
    text = re.sub(r"\{% blocktranslate.*?\{% endblocktranslate %\}", "", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", "", text, flags=re.S)
    leftovers = [line.strip() for line in text.splitlines() if VIETNAMESE_LETTERS.search(line)]
    assert not leftovers, f"mark these for translation: {leftovers}"
