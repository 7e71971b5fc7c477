"""Reads of the statement import: the bank's saved column mapping, how an uploaded file is laid out (its
header line, sample values, the mapping that fits it or a guess), and the preview (nothing written)."""

from __future__ import annotations

from dataclasses import dataclass, field

from payments.models import StatementMapping
from payments.statements import parsing
from payments.statements.importer import StatementReport, statement_importer
from students.imports.flow import Report, read_table, text_of


def mapping_for(bank_bin: str) -> dict[str, str] | None:
    """The bank's saved mapping (field → header text), or None before its first import."""
    found = StatementMapping.objects.filter(bank_bin=bank_bin).values_list("columns", flat=True).first()
    return dict(found) if found else None


@dataclass
class Layout:
    """An uploaded statement's layout: file-level problems (in `report`), its header texts with the first
    value under each, the saved mapping if the file has its columns, else a proposal to check."""

    report: Report
    headers: list[str] = field(default_factory=list)
    samples: dict[str, str] = field(default_factory=dict)
    mapping: dict[str, str] | None = None
    proposal: dict[str, str] = field(default_factory=dict)


def statement_layout(data: bytes, filename: str, bank_bin: str) -> Layout:
    layout = Layout(report=Report())
    table = read_table(data, filename, layout.report)
    if table is None:
        return layout
    lines = [[text_of(cell.value) for cell in cells] for _line, cells in table.rows]
    saved = mapping_for(bank_bin)
    index = parsing.header_index(lines, saved) if saved else None
    if index is not None:
        layout.mapping = saved
    else:
        index = parsing.header_index(lines) or 0
    header = lines[index]
    below = lines[index + 1] if index + 1 < len(lines) else []
    for position, text in enumerate(header):
        if text and text not in layout.samples:
            layout.headers.append(text)
            layout.samples[text] = below[position] if position < len(below) else ""
    guess = parsing.mapping_guess(layout.headers)
    present = {parsing.header_fold(text): text for text in layout.headers}
    for name, _required in parsing.FIELDS:
        kept = present.get(parsing.header_fold((saved or {}).get(name, "")))
        if kept or guess.get(name):
            layout.proposal[name] = kept or guess[name]
    return layout


def statement_check(mapping: dict[str, str], data: bytes, filename: str) -> StatementReport:
    """The preview: every row with its status, each bad row's reasons, what each new row would pay."""
    report = statement_importer(mapping).check(data, filename)
    by_line = {row.line: row for row in report.rows}
    for problem in report.problems:
        if problem.line in by_line:
            by_line[problem.line].reasons.append(problem.reason)
    return report
