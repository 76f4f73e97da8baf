"""Result tables: one per benchmark, printed as Markdown (they paste into the README as they are) and kept as
plain data for the JSON file the CI smoke test reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Row:
    what: str
    measured: float | int | str | None
    baseline: float | int | str | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    unit: str = ""
    digits: int = 1


@dataclass
class Table:
    key: str
    title: str
    columns: tuple[str, str] = ("baseline", "measured")
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # extra figures for the smoke test, not printed

    def add(self, what: str, measured: Any, **kwargs: Any) -> Row:
        row = Row(what, measured, **kwargs)
        self.rows.append(row)
        return row

    def compare(
        self,
        what: str,
        baseline: float,
        measured: float,
        *,
        target: str = "",
        at_least: float | None = None,
        at_most: float | None = None,
        unit: str = "",
        digits: int = 1,
    ) -> Row:
        """A row with its ratio (measured / baseline) checked against a bound."""
        ratio = measured / baseline if baseline else None
        met = None
        if ratio is not None and at_least is not None:
            met = ratio >= at_least
        if ratio is not None and at_most is not None:
            met = ratio <= at_most
        return self.add(
            what, measured, baseline=baseline, ratio=ratio, target=target, met=met, unit=unit, digits=digits
        )

    def render(self) -> str:
        head = f"| {self.key} {self.title} | {self.columns[0]} | {self.columns[1]} | ratio | target |"
        lines = [head, "| --- | ---: | ---: | ---: | --- |"]
        for row in self.rows:
            ratio = "" if row.ratio is None else f"{row.ratio:.2f}"
            target = row.target
            if row.met is not None:
                target = f"{target} {'met' if row.met else '**missed**'}".strip()
            lines.append(
                f"| {row.what} | {_show(row.baseline, row)} | {_show(row.measured, row)} | {ratio} | {target} |"
            )
        return "\n".join(lines + [f"\n{note}" if i == 0 else note for i, note in enumerate(self.notes)])

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _show(value: Any, row: Row) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.{row.digits}f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {row.unit}".strip()
