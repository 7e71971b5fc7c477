"""The exports' choices: a range of days for the accounting workbook of payments."""

import datetime

from django import forms
from django.utils.translation import gettext, gettext_lazy

from payments.exports.periods import MAX_DAYS
from students.forms import date_field


class RangeForm(forms.Form):
    start = date_field(gettext_lazy("Từ ngày"))
    end = date_field(gettext_lazy("Đến ngày"))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", gettext("Ngày cuối phải sau ngày đầu."))
            elif end - start >= datetime.timedelta(days=MAX_DAYS):
                self.add_error("end", gettext("Mỗi lần xuất tối đa %(days)d ngày.") % {"days": MAX_DAYS})
        return data
