"""templates/form_fields.html renders the help text and the errors under the ids that Django's widgets name
in aria-describedby, and the notice body is a real text area."""

import re

from students.models import StaffMember


def _described(page):
    """Every id an aria-describedby points at, and every id the page has."""
    wanted = {ref for refs in re.findall(r'aria-describedby="([^"]+)"', page) for ref in refs.split()}
    return wanted, set(re.findall(r'\sid="([^"]+)"', page))


def test_help_text_and_errors_are_where_aria_describedby_points(client, world):
    client.force_login(world.principal_a)
    page = client.get("/account/2fa/").content.decode()
    wanted, ids = _described(page)
    assert wanted == {"id_code_helptext"} and wanted <= ids
    assert (
        '<small class="help" id="id_code_helptext">6 chữ số đang hiện trên ứng dụng xác thực.</small>' in page
    )

    wrong = client.post("/account/2fa/", {"code": "12"}).content.decode()
    wanted, ids = _described(wrong)
    assert wanted == {"id_code_helptext", "id_code_error"} and wanted <= ids
    assert 'aria-invalid="true"' in wrong


def test_the_notice_body_is_a_text_area_and_every_description_exists(client, school):
    teacher = StaffMember.objects.get(user=school.teacher_a)
    client.force_login(teacher.user)
    page = client.get("/s/test-a/notices/new/").content.decode()
    assert re.search(r'<textarea name="body"[^>]*id="id_body"', page)
    invalid = client.post("/s/test-a/notices/new/", {"title": "", "body": ""}).content.decode()
    assert {"id_title_error", "id_body_error"} <= _described(invalid)[0]
    for html in (page, invalid):
        wanted, ids = _described(html)
        assert wanted <= ids, wanted - ids
