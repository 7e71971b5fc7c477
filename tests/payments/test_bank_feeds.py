"""payments.bank_feeds by tables: Casso's own published test vector verifies, and a changed body, a stale
or malformed signature, or another key do not; SePay's API key header is checked exactly; both bodies
become one transaction shape, outgoing transfers are not payments, and unreadable bodies are refused with
a reason."""

import copy

import pytest

from payments.bank_feeds import (
    TOLERANCE_MS,
    BankTransaction,
    FeedRefused,
    casso_signature,
    casso_transaction,
    casso_verify,
    sepay_authorised,
    sepay_transaction,
)

# The test vector of CassoHQ/casso-webhook-v2-verify-signature (python.py): body, key, header.
CASSO_BODY = {
    "error": 0,
    "data": {
        "id": 0,
        "reference": "MA_GIAO_DICH_THU_NGHIEM",
        "description": "giao dich thu nghiem",
        "amount": 599000,
        "runningBalance": 25000000,
        "transactionDateTime": "2024-10-03 15:06:37",
        "accountNumber": "88888888",
        "bankName": "VPBank",
        "bankAbbreviation": "VPB",
        "virtualAccountNumber": "",
        "virtualAccountName": "",
        "counterAccountName": "NGUYEN VAN A",
        "counterAccountNumber": "8888888888",
        "counterAccountBankId": "970415",
        "counterAccountBankName": "VietinBank",
    },
}
CASSO_KEY = "mgExMrjj4i7a1p8Cs6LmFbpCd8lbw4sSX4LZXPag7TKazeIogtR90tvWYTkwQbvs"
CASSO_T = 1727948258788
CASSO_HEADER = (
    f"t={CASSO_T},v1=ed0a4bd2e826d5cb69988cdb141e6c1a080e21f3b57eb72cd78192220042b9e7dde0868fc667faea8e22490"
    "0fa7904e7c88dfa098032fb2d6b6996856e8b7ff3"
)


def test_cassos_published_vector_verifies():
    casso_verify(CASSO_HEADER, CASSO_BODY, CASSO_KEY, now_ms=CASSO_T + 1000)


def _changed(path, value):
    body = copy.deepcopy(CASSO_BODY)
    body["data"][path] = value
    return body


@pytest.mark.parametrize(
    "header, body, key, now, reason",
    [
        (CASSO_HEADER, _changed("amount", 5_990_000), CASSO_KEY, CASSO_T, "wrong signature"),
        (CASSO_HEADER, _changed("description", "giao dich khac"), CASSO_KEY, CASSO_T, "wrong signature"),
        (CASSO_HEADER, CASSO_BODY, CASSO_KEY[:-1] + "x", CASSO_T, "wrong signature"),
        (CASSO_HEADER, CASSO_BODY, CASSO_KEY, CASSO_T + TOLERANCE_MS + 1, "too far from now"),
        (CASSO_HEADER, CASSO_BODY, CASSO_KEY, CASSO_T - TOLERANCE_MS - 1, "too far from now"),
        ("", CASSO_BODY, CASSO_KEY, CASSO_T, "must be t=<milliseconds>,v1=<hex>"),
        ("v1=abc", CASSO_BODY, CASSO_KEY, CASSO_T, "must be t=<milliseconds>,v1=<hex>"),
        ("t=soon,v1=abc", CASSO_BODY, CASSO_KEY, CASSO_T, "must be t=<milliseconds>,v1=<hex>"),
        (CASSO_HEADER, CASSO_BODY, "", CASSO_T, "no Casso key"),
    ],
)
def test_what_casso_did_not_sign_is_refused(header, body, key, now, reason):
    with pytest.raises(FeedRefused, match=reason):
        casso_verify(header, body, key, now_ms=now)


def test_a_vietnamese_note_is_accepted_whether_or_not_its_json_escaped_it():
    body = _changed("description", "Học phí HD003RJ0T")
    for ascii_only in (True, False):
        signature = casso_signature(CASSO_KEY, CASSO_T, body, ascii_only=ascii_only)
        casso_verify(f"t={CASSO_T},v1={signature}", body, CASSO_KEY, now_ms=CASSO_T)


def test_casso_body_becomes_a_transaction():
    assert casso_transaction(CASSO_BODY) == BankTransaction(
        provider="casso",
        provider_id="0",
        amount=599000,
        note="giao dich thu nghiem",
        account="88888888",
        reference="MA_GIAO_DICH_THU_NGHIEM",
        occurred_at="2024-10-03 15:06:37",
    )
    assert casso_transaction(_changed("amount", -50000)) is None  # money out: not a payment


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"error": 1, "data": {}}, "must be"),
        ([], "must be"),
        (_changed("amount", 0), "positive whole number"),
        (_changed("amount", 12.5), "positive whole number"),
        (_changed("amount", "599000"), "positive whole number"),
        (_changed("id", None), "no id"),
    ],
)
def test_unreadable_casso_bodies_are_refused(body, reason):
    with pytest.raises(FeedRefused, match=reason):
        casso_transaction(body)


SEPAY_BODY = {
    "id": 92704,
    "gateway": "Vietcombank",
    "transactionDate": "2026-09-05 09:14:03",
    "accountNumber": "0123499999",
    "code": None,
    "content": "MBVCB.3278907687.HD003RJ0T.CT tu 0123456789 toi 0123499999",
    "transferType": "in",
    "transferAmount": 1250000,
    "accumulated": 19077000,
    "subAccount": None,
    "referenceCode": "FT24249092345",
}


@pytest.mark.parametrize(
    "header, authorised",
    [
        ("Apikey sk-truong-a-123456", True),
        ("apikey   sk-truong-a-123456 ", True),
        ("Apikey sk-truong-a-12345", False),
        ("Bearer sk-truong-a-123456", False),
        ("sk-truong-a-123456", False),
        ("", False),
    ],
)
def test_sepay_api_key_header(header, authorised):
    assert sepay_authorised(header, "sk-truong-a-123456") is authorised


def test_no_configured_key_authorises_nothing():
    assert not sepay_authorised("Apikey ", "")


def test_sepay_body_becomes_a_transaction():
    assert sepay_transaction(SEPAY_BODY) == BankTransaction(
        provider="sepay",
        provider_id="92704",
        amount=1250000,
        note="MBVCB.3278907687.HD003RJ0T.CT tu 0123456789 toi 0123499999",
        account="0123499999",
        reference="FT24249092345",
        occurred_at="2026-09-05 09:14:03",
    )
    assert sepay_transaction(SEPAY_BODY | {"transferType": "out"}) is None


@pytest.mark.parametrize(
    "body, reason",
    [
        ("not json", "not a JSON object"),
        (SEPAY_BODY | {"transferType": "sideways"}, "transferType"),
        (SEPAY_BODY | {"transferAmount": -1}, "positive whole number"),
        (SEPAY_BODY | {"transferAmount": True}, "positive whole number"),
        (SEPAY_BODY | {"id": ""}, "no id"),
    ],
)
def test_unreadable_sepay_bodies_are_refused(body, reason):
    with pytest.raises(FeedRefused, match=reason):
        sepay_transaction(body)
