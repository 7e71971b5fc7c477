"""The console's form for an office's data link, and the sent log's filters. Every field is checked with a
clear Vietnamese error before a service runs: the endpoint (HTTPS, a host name, nothing else in its
authority), the centre's key id and secret, and the field mapping line by line (offices.links.protocol)."""

import ipaddress
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from offices.links import protocol
from offices.links.models import DataLink, LinkRecord
from offices.links.selectors import LogFilter
from schoolbook.outbound import origin
from students.forms import date_field

SECRET_MIN, SECRET_MAX = 16, 200
MAP_LABELS = {
    protocol.ATTENDANCE_CLASS: _("Tên trường: điểm danh theo lớp"),
    protocol.ATTENDANCE_MARK: _("Tên trường: điểm danh từng học sinh"),
    protocol.PAYMENT: _("Tên trường: khoản đã thu"),
}


def _map_name(kind: str) -> str:
    return f"map_{kind}"


def endpoint_allowed(url: str) -> bool:
    """HTTPS to a host name (not an address: the sender checks each connection is to a public address
    anyway), no user or password, no backslash for a parser to read otherwise; or, in tests, exactly one
    of OFFICE_LINKS_TEST_ORIGINS."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    if "\\" in url or parts.username is not None or parts.password is not None:
        return False
    if origin(url) in settings.OFFICE_LINKS_TEST_ORIGINS:
        return True
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    return parts.scheme == "https" and "." in host and not host.endswith(".")


class DataLinkForm(forms.Form):
    endpoint = forms.URLField(
        label=_("Địa chỉ nhận dữ liệu của trung tâm"),
        max_length=500,
        assume_scheme="https",
        help_text=_("HTTPS, do trung tâm điều hành cung cấp, ví dụ https://ioc.hanoi.edu.vn/api/v1/records"),
    )
    key_id = forms.CharField(label=_("Mã khoá (key id)"), max_length=100)
    secret = forms.CharField(
        label=_("Khoá bí mật"),
        required=False,
        max_length=SECRET_MAX,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Trung tâm cấp. Không hiện lại sau khi lưu; để trống để giữ khoá đang dùng."),
    )
    send_attendance = forms.BooleanField(label=_("Gửi điểm danh hằng ngày"), required=False)
    send_payments = forms.BooleanField(label=_("Gửi dữ liệu thu phí"), required=False)
    enabled = forms.BooleanField(label=_("Đang bật"), required=False)

    def __init__(self, *args, link: DataLink | None = None, **kwargs):
        self.link = link
        if link is not None:
            initial = {name: getattr(link, name) for name in ("endpoint", "key_id", "send_attendance",
                                                               "send_payments", "enabled")}  # fmt: skip
            initial |= {_map_name(k): protocol.mapping_text(m) for k, m in link.field_map.items()}
            kwargs.setdefault("initial", initial)
        else:
            kwargs.setdefault("initial", {"send_attendance": True, "send_payments": True, "enabled": True})
        super().__init__(*args, **kwargs)
        for kind, label in MAP_LABELS.items():
            self.fields[_map_name(kind)] = forms.CharField(
                label=label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
                help_text=gettext(
                    "Mỗi dòng “trường của Schoolbook = tên của trung tâm”; “= -” để bỏ trường đó; trường "
                    "không ghi giữ nguyên tên. Các trường: %(fields)s."
                )
                % {"fields": ", ".join(protocol.RECORD_FIELDS[kind])},
            )

    def clean_endpoint(self):
        url = self.cleaned_data["endpoint"].strip()
        if not endpoint_allowed(url):
            raise forms.ValidationError(
                _(
                    "Địa chỉ phải là https:// với tên miền của trung tâm "
                    "(không dùng địa chỉ IP hay tên đăng nhập trong địa chỉ)."
                )
            )
        return url

    def clean_key_id(self):
        return self.cleaned_data["key_id"].strip()

    def clean_secret(self):
        secret = self.cleaned_data["secret"].strip()
        if not secret and (self.link is None or not self.link.secret_sealed):
            raise forms.ValidationError(_("Hãy nhập khoá bí mật do trung tâm cấp."))
        if secret and len(secret) < SECRET_MIN:
            raise forms.ValidationError(
                _("Khoá bí mật quá ngắn (ít nhất %(min)d ký tự)."), params={"min": SECRET_MIN}
            )
        return secret

    def clean(self):
        cleaned = super().clean()
        field_map = {}
        for kind in protocol.RECORD_FIELDS:
            name = _map_name(kind)
            try:
                mapping = protocol.mapping_parse(kind, cleaned.get(name, ""))
            except protocol.MappingError as error:
                self.add_error(name, gettext(error.template) % error.params)
                continue
            if mapping:
                field_map[kind] = mapping
        cleaned["field_map"] = field_map
        if not cleaned.get("send_attendance") and not cleaned.get("send_payments"):
            self.add_error(None, _("Chọn ít nhất một loại dữ liệu để gửi."))
        return cleaned

    def link_values(self) -> dict:
        """What offices.links.services.link_save takes."""
        names = ("endpoint", "key_id", "secret", "send_attendance", "send_payments", "enabled", "field_map")
        return {name: self.cleaned_data[name] for name in names}


class LogFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Trạng thái"), required=False, choices=[("", _("Tất cả")), *LinkRecord.Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("Loại dữ liệu"), required=False, choices=[("", _("Tất cả")), *LinkRecord.Kind.choices]
    )
    school = forms.CharField(label=_("Mã trường"), required=False, max_length=40)
    start = date_field(_("Từ ngày"))
    end = date_field(_("Đến ngày"))
    record = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            self.fields[name].required = False

    def log_filter(self) -> LogFilter:
        """The filters as typed; a form with errors filters on what was valid."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return LogFilter(
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            school=(data.get("school") or "").strip().lower(),
            start=data.get("start"),
            end=data.get("end"),
            record=data.get("record"),
        )

    def query(self) -> dict:
        """The filters as query parameters, to carry them through the replay and pagination."""
        found = self.log_filter()
        values = {
            "status": found.status, "kind": found.kind, "school": found.school, "record": found.record or "",
            "start": found.start.isoformat() if found.start else "",
            "end": found.end.isoformat() if found.end else "",
        }  # fmt: skip
        return {name: value for name, value in values.items() if value}
