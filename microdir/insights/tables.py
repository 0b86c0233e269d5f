"""Tables of figures: what a page shows, a chart plots and a CSV download holds, built once."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from .disclosure import Figure, text


@dataclass
class Table:
    id: str  # also the CSV's name: /insights/<page>/<id>.csv
    caption: str
    columns: list[str]
    rows: list[list[Figure]] = field(default_factory=list)
    total: list[Figure] | None = None
    note: str = ""
    screen_rows: int | None = None  # show only this many on the page (the CSV has them all)
    heat: tuple[int, ...] = ()  # columns shaded by size (a heat table); the shading follows shown values only

    def heat_level(self, column: int, figure: Figure) -> int:
        """Return 0 to 4: how dark a heat-table cell is, from its shown value against the column's largest."""
        if column not in self.heat or figure.value is None or not figure.value:
            return 0
        top = max((row[column].value or 0) for row in self.rows)
        return max(1, min(4, int(4 * figure.value / top + 0.5))) if top else 0

    def add(self, label: str | list[str], *figures: Figure) -> None:
        labels = [label] if isinstance(label, str) else label
        self.rows.append([*(text(item) for item in labels), *figures])

    @property
    def shown_rows(self) -> list[list[Figure]]:
        return self.rows if self.screen_rows is None else self.rows[:self.screen_rows]

    @property
    def numeric(self) -> list[bool]:
        first = self.rows[0] if self.rows else (self.total or [])
        return [cell.kind != "text" for cell in first] or [False] * len(self.columns)


def to_csv(table: Table) -> str:
    """Return the table as CSV: suppressed counts as the marker, never a number."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in [*table.rows, *([table.total] if table.total is not None else [])]:
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


def _safe(cell: Figure) -> str:
    """Return the CSV text; a label starting like a formula is prefixed with ' so a spreadsheet never runs it."""
    value = cell.csv
    if cell.kind == "text" and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
