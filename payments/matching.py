"""How a bank transfer is shared among the invoices its note names. Pure rules, no Django: the service that
stores payments reads the open invoices, calls `allocate`, and writes what it returns in one transaction.

- The note is searched for payment codes (payments.codes); a note without any known code is **unmatched**:
  the whole amount waits in the accountant's queue, nothing is guessed from names or amounts.
- Invoice codes (`HD…`) are paid in the order the note names them, each up to what it still owes; a family
  code (`GD…`) stands for that family's open invoices, oldest due date first. An invoice named twice (its own
  code and its family's) is paid once.
- What is left after every named invoice is paid in full is an **overpayment** of the last invoice named
  (the school refunds it or carries it over; the accountant decides). Codes that name no open invoice of
  this school (paid, cancelled, another school's) are reported, never paid.
- Amounts are whole đồng; nothing is rounded, and the parts always add up to the transfer.
"""

from dataclasses import dataclass, field

from payments.codes import FAMILY, codes_in


@dataclass(frozen=True)
class OpenInvoice:
    code: str  # HD…
    outstanding: int  # whole đồng still owed, > 0
    due: str = ""  # ISO date, for the family order
    family: str = ""  # GD… of the family it belongs to


@dataclass
class Allocation:
    paid: list[tuple[str, int]] = field(default_factory=list)  # (invoice code, đồng applied), in order
    overpaid: tuple[str, int] | None = None  # (invoice code, đồng beyond what it owed)
    unmatched: int = 0  # đồng no invoice takes (no code in the note)
    unknown_codes: list[str] = field(default_factory=list)  # codes in the note that name nothing open

    def total(self) -> int:
        return (
            sum(amount for _, amount in self.paid)
            + (self.overpaid[1] if self.overpaid else 0)
            + self.unmatched
        )


def allocate(
    note: str, amount: int, open_invoices: list[OpenInvoice], *, codes: list[str] | None = None
) -> Allocation:
    """Share `amount` (> 0) among the open invoices the note names (module docstring); `codes`: the note's
    codes (`codes_in(note)`) when the caller has them already."""
    if amount <= 0:
        raise ValueError("a transfer's amount is positive")
    by_code = {invoice.code: invoice for invoice in open_invoices}
    named, unknown = [], []
    for code in codes_in(note) if codes is None else codes:
        if code.startswith(FAMILY):
            family = sorted((i for i in open_invoices if i.family == code), key=lambda i: (i.due, i.code))
            if family:
                named.extend(family)
            else:
                unknown.append(code)
        elif code in by_code:
            named.append(by_code[code])
        else:
            unknown.append(code)
    named = list(dict.fromkeys(named))  # once each, first mention first
    allocation = Allocation(unknown_codes=unknown)
    if not named:
        allocation.unmatched = amount
        return allocation
    left = amount
    for invoice in named:
        if left == 0:
            break
        part = min(left, invoice.outstanding)
        allocation.paid.append((invoice.code, part))
        left -= part
    if left:
        allocation.overpaid = (named[-1].code, left)
    return allocation
