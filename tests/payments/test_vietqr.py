"""payments.vietqr by tables: the CRC's check value, DOMAIN.md's known-valid example decoded and rebuilt to
the character, round trips, and every malformed payload refused with the reason."""

import pytest

from payments.vietqr import Transfer, VietQRError, crc16_ccitt_false, decode, encode, transfer_note

# ../shared/DOMAIN.md §4: a known-valid dynamic QR (Sacombank, 180,000 đ, bill NPS6869).
KNOWN = (
    "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN"
    "62340107NPS68690819thanh toan don hang63042E2E"
)


def test_crc_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1  # CRC-16/CCITT-FALSE's published check value
    assert crc16_ccitt_false(b"") == 0xFFFF


def test_the_known_example_decodes_and_is_rebuilt_to_the_character():
    transfer = decode(KNOWN)
    assert transfer == Transfer(
        bank_bin="970403",
        account="0011012345678",
        amount=180000,
        note="thanh toan don hang",
        bill="NPS6869",
        service="QRIBFTTA",
    )
    assert encode(transfer) == KNOWN


@pytest.mark.parametrize(
    "transfer",
    [
        Transfer("970436", "1234567890", 1_250_000, "HP 6A1 HS0123 T9"),
        Transfer("970415", "9" * 19, 1, "A" * 25),
        Transfer("970418", "0", None),  # static: no amount, 01 = 11
        Transfer("970422", "123", 999_999_999_999, "", "INV-2026-0001"),
        Transfer("970407", "123456", 500, "card", service="QRIBFTTC"),
    ],
)
def test_round_trips(transfer):
    payload = encode(transfer)
    assert decode(payload) == transfer
    assert payload[10:12] == ("11" if transfer.amount is None else "12")
    assert payload[-8:-4] == "6304" and payload[-4:] == f"{crc16_ccitt_false(payload[:-4].encode()):04X}"


@pytest.mark.parametrize(
    "payload, reason",
    [
        (KNOWN[:-4] + "2E2F", "wrong CRC: 2E2F given, 2E2E computed"),
        (KNOWN[:-8], "does not end with the CRC field 63"),
        ("", "does not end with the CRC field 63"),
        (KNOWN.replace("thanh", "thánh"), "outside ASCII"),
    ],
)
def test_a_damaged_payload_is_refused_with_the_reason(payload, reason):
    with pytest.raises(VietQRError, match=reason):
        decode(payload)


def _with_crc(body: str) -> str:
    """A payload whose CRC is right, so that only what is wrong in `body` can refuse it."""
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode()):04X}"


BODY = KNOWN[:-8]


@pytest.mark.parametrize(
    "body, reason",
    [
        # The CRC is right but a length lies: the CRC cannot see it, the parser must.
        (BODY.replace("0819thanh", "0829thanh"), "field 62: field 08 says 29 characters but 19 remain"),
        (BODY.replace("62340107", "62350107"), "field 62 says 35 characters but 34 remain"),
        (BODY[:-3], "field 62 says 34 characters but 31 remain"),
        (BODY + "99", "a field header must be 4 digits at position"),
        (BODY.replace("000201", "000202", 1), "field 00 .payload format. must be 01"),
        (BODY.replace("010212", "010213", 1), "field 01 must be 11 .static. or 12 .dynamic."),
        (BODY.replace("A000000727", "A000000728"), "field 38/00 must be NAPAS's"),
        (BODY.replace("5303704", "5303840"), "field 53 .currency. must be 704"),
        (BODY.replace("5802VN", "5802US"), "field 58 .country. must be VN"),
        (BODY.replace("5406180000", "540618000."), "field 54 .amount. must be whole đồng"),
        (BODY.replace("5406180000", "5406-18000"), "field 54 .amount. must be whole đồng"),
        (BODY.replace("5406180000", ""), "a dynamic QR .01 = 12. must carry its amount"),
        (BODY.replace("970403", "97040X"), "a bank BIN has 6 digits"),
        (BODY.replace("0208QRIBFTTA", "0208QRIBXXXX"), "the service must be QRIBFTTA or QRIBFTTC"),
        (BODY + "5802VN", "field 58 appears twice"),
    ],
)
def test_a_payload_with_a_right_crc_but_a_wrong_field_is_refused(body, reason):
    with pytest.raises(VietQRError, match=reason):
        decode(_with_crc(body))


@pytest.mark.parametrize(
    "transfer, reason",
    [
        (Transfer("97043", "123", 1000), "a bank BIN has 6 digits"),
        (Transfer("970436", "12345678901234567890", 1000), "an account number has 1 to 19 digits"),
        (Transfer("970436", "12-34", 1000), "an account number has 1 to 19 digits"),
        (Transfer("970436", "123", 0), "the amount must be a positive whole number"),
        (Transfer("970436", "123", -5), "the amount must be a positive whole number"),
        (Transfer("970436", "123", 1000, "Học phí tháng 9"), "the transfer note must be ASCII"),
        (Transfer("970436", "123", 1000, "A" * 26), "the transfer note must be ASCII"),
        (Transfer("970436", "123", 1000, "HP-6A1"), "the transfer note must be ASCII"),
    ],
)
def test_a_transfer_that_cannot_be_a_vietqr_is_refused(transfer, reason):
    with pytest.raises(VietQRError, match=reason):
        encode(transfer)


@pytest.mark.parametrize(
    "text, note",
    [
        ("Học phí tháng 9 - Nguyễn Văn An", "Hoc phi thang 9 Nguyen Va"),
        ("Đóng tiền ăn bán trú", "Dong tien an ban tru"),
        ("  HP   6A1  ", "HP 6A1"),
        ("", ""),
    ],
)
def test_transfer_note_folds_accents_and_fits_25_characters(text, note):
    assert transfer_note(text) == note
    assert encode(Transfer("970436", "123", 1000, transfer_note(text)))
