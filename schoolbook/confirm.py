"""Confirmation before anything costly or irreversible: the preview shows what will happen
and carries a token computed from it; the POST that does the thing must bring the same token back. A missing
token, or one computed from a preview that is no longer true (a recipient added, a score changed since), makes
the view show the preview again instead of acting. The token is a fingerprint, not a secret: it proves the
person saw this preview, and CSRF protects the POST itself."""

import hashlib
import hmac
import json

from django.shortcuts import render

FIELD = "confirm"


def confirmation_token(*parts) -> str:
    """A short fingerprint of what the preview showed (anything JSON can write, e.g. recipients and texts)."""
    data = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:24]


def confirmed(request, token: str) -> bool:
    """Whether this POST brings back the token of the preview as it is now."""
    given = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return bool(given) and hmac.compare_digest(given, token)


def confirm_page(request, *, title, action, token, fields=None, summary=(), estimate=None, sample="",
                 button, back, hx_target=None, status=200, template="confirm.html"):  # fmt: skip
    """The preview: `summary` (sentences saying what will happen), the messaging estimate when messages go
    out, one `sample` message, and a form posting `fields` and the token back to `action`. A stale or missing
    confirmation answers 200 with this page again: nothing was done, and the person sees what now would be."""
    context = {
        "title": title,
        "action": action,
        "token": token,
        "fields": (fields or {}).items(),
        "summary": summary,
        "estimate": estimate,
        "sample": sample,
        "button": button,
        "back": back,
        "hx_target": hx_target,
        "stale": request.method == "POST" and bool(request.POST.get(FIELD)),
    }
    return render(request, template, context, status=status)
