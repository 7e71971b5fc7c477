"""VietQR: the NAPAS 247 bank-transfer QR (EMVCo merchant-presented mode), built and read with no Django.

A payload is a run of TLV fields: a two-digit ID, a two-digit length, the value (nested fields use the same
form). What a transfer to an account needs (../shared/DOMAIN.md §4, NAPAS "VietQR" specification):

    00 = "01"                         payload format
    01 = "11" static | "12" dynamic   dynamic: one payment, with its amount
    38 = { 00 = "A000000727"          NAPAS's application id
           01 = { 00 = bank BIN (6 digits), 01 = account number (≤ 19) }
           02 = "QRIBFTTA" to an account | "QRIBFTTC" to a card }
    53 = "704"                        currency: đồng
    54 = amount                       whole đồng, digits only
    58 = "VN"
    62 = { 01 = bill number, 08 = purpose: the transfer note the bank shows (ASCII, ≤ 25) }
    63 = CRC-16/CCITT-FALSE over everything before its value, "6304" included: four uppercase hex digits

The CRC does not check lengths, so `decode` checks every field's length and content itself and says which
one is wrong.
"""

import re
import unicodedata
from dataclasses import dataclass

NAPAS_AID = "A000000727"
TO_ACCOUNT, TO_CARD = "QRIBFTTA", "QRIBFTTC"
NOTE_MAX = 25
ACCOUNT_MAX = 19
AMOUNT_MAX_DIGITS = 13  # field 54 allows 13 characters
_NOTE_CHARS = re.compile(r"[A-Za-z0-9 ]*")


class VietQRError(ValueError):
    """A payload that is not a valid VietQR, or a payment that cannot be one; the message says why."""


@dataclass(frozen=True)
class Transfer:
    """A bank transfer a VietQR asks for. `amount` None: a static QR (the payer types the amount)."""

    bank_bin: str
    account: str
    amount: int | None = None
    note: str = ""  # the purpose (62/08): what the receiving bank shows, and what reconciliation searches
    bill: str = ""  # the bill number (62/01)
    service: str = TO_ACCOUNT


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def transfer_note(text: str) -> str:
    """`text` as a transfer note banks keep: accents folded (đ → d), only letters, digits and single spaces,
    at most 25 characters."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(c for c in folded if c.isascii() and (c.isalnum() or c.isspace()))
    return " ".join(ascii_text.split())[:NOTE_MAX].strip()


def encode(transfer: Transfer) -> str:
    """The payload of `transfer`, its CRC appended; VietQRError when a field cannot go in a VietQR."""
    _check(transfer)
    account = _tlv("00", transfer.bank_bin) + _tlv("01", transfer.account)
    merchant = _tlv("00", NAPAS_AID) + _tlv("01", account) + _tlv("02", transfer.service)
    fields = [
        _tlv("00", "01"),
        _tlv("01", "11" if transfer.amount is None else "12"),
        _tlv("38", merchant),
        _tlv("53", "704"),
    ]
    if transfer.amount is not None:
        fields.append(_tlv("54", str(transfer.amount)))
    fields.append(_tlv("58", "VN"))
    extra = (_tlv("01", transfer.bill) if transfer.bill else "") + (
        _tlv("08", transfer.note) if transfer.note else ""
    )
    if extra:
        fields.append(_tlv("62", extra))
    body = "".join(fields) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def decode(payload: str) -> Transfer:
    """The transfer a payload asks for; VietQRError naming the first thing wrong (a length, the CRC, a
    missing or malformed field)."""
    payload = payload.strip()
    if not payload.isascii():
        raise VietQRError("the payload has characters outside ASCII")
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise VietQRError("the payload does not end with the CRC field 63 of length 04")
    expected = f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}"
    if payload[-4:].upper() != expected:
        raise VietQRError(f"wrong CRC: {payload[-4:]} given, {expected} computed")
    fields = _fields(payload[:-8], "payload")
    if fields.get("00") != "01":
        raise VietQRError("field 00 (payload format) must be 01")
    if fields.get("01") not in ("11", "12"):
        raise VietQRError("field 01 must be 11 (static) or 12 (dynamic)")
    merchant = _fields(_required(fields, "38"), "field 38")
    if merchant.get("00") != NAPAS_AID:
        raise VietQRError(f"field 38/00 must be NAPAS's {NAPAS_AID}")
    account = _fields(_required(merchant, "01", "field 38/"), "field 38/01")
    if fields.get("53") != "704":
        raise VietQRError("field 53 (currency) must be 704, the đồng")
    if fields.get("58") != "VN":
        raise VietQRError("field 58 (country) must be VN")
    amount = fields.get("54")
    if amount is not None and not re.fullmatch(r"[1-9][0-9]*", amount):
        raise VietQRError(f"field 54 (amount) must be whole đồng, digits only: {amount!r}")
    if fields["01"] == "12" and amount is None:
        raise VietQRError("a dynamic QR (01 = 12) must carry its amount in field 54")
    extra = _fields(fields["62"], "field 62") if "62" in fields else {}
    transfer = Transfer(
        bank_bin=_required(account, "00", "field 38/01/"),
        account=_required(account, "01", "field 38/01/"),
        amount=int(amount) if amount is not None else None,
        note=extra.get("08", ""),
        bill=extra.get("01", ""),
        service=_required(merchant, "02", "field 38/"),
    )
    _check(transfer)
    return transfer


def _check(transfer: Transfer) -> None:
    if not re.fullmatch(r"[0-9]{6}", transfer.bank_bin):
        raise VietQRError(f"a bank BIN has 6 digits: {transfer.bank_bin!r}")
    if not re.fullmatch(rf"[0-9]{{1,{ACCOUNT_MAX}}}", transfer.account):
        raise VietQRError(f"an account number has 1 to {ACCOUNT_MAX} digits: {transfer.account!r}")
    if transfer.amount is not None and not (0 < transfer.amount < 10**AMOUNT_MAX_DIGITS):
        raise VietQRError(f"the amount must be a positive whole number of đồng: {transfer.amount!r}")
    if transfer.service not in (TO_ACCOUNT, TO_CARD):
        raise VietQRError(f"the service must be {TO_ACCOUNT} or {TO_CARD}: {transfer.service!r}")
    if len(transfer.note) > NOTE_MAX or not _NOTE_CHARS.fullmatch(transfer.note):
        raise VietQRError(f"the transfer note must be ASCII letters, digits and spaces, ≤ {NOTE_MAX}")
    if len(transfer.bill) > 25 or not transfer.bill.isascii():
        raise VietQRError("the bill number must be ASCII, ≤ 25 characters")


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def _fields(text: str, where: str) -> dict[str, str]:
    """The TLV fields of `text`, every length checked against what is there."""
    fields, position = {}, 0
    while position < len(text):
        head = text[position : position + 4]
        if len(head) < 4 or not head.isdigit():
            raise VietQRError(
                f"{where}: a field header must be 4 digits at position {position}, not {head!r}"
            )
        tag, length = head[:2], int(head[2:])
        value = text[position + 4 : position + 4 + length]
        if len(value) != length:
            raise VietQRError(f"{where}: field {tag} says {length} characters but {len(value)} remain")
        if tag in fields:
            raise VietQRError(f"{where}: field {tag} appears twice")
        fields[tag] = value
        position += 4 + length
    return fields


def _required(fields: dict[str, str], tag: str, where: str = "field ") -> str:
    try:
        return fields[tag]
    except KeyError:
        raise VietQRError(f"{where}{tag} is missing") from None
