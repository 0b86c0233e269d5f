"""Server-rendered SVG charts: geometry worked out here, drawn by ``templates/insights/_charts.html``.

No JavaScript and no inline styles (the CSP forbids them): SVG presentation attributes only. Every chart plots
shown (suppressed and rounded) figures only; a hidden figure is a gap in a line or a missing bar, labelled.
Each chart has a title, a text summary and the table it was drawn from, beside it on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .disclosure import Figure

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")  # so lines differ without colour too


@dataclass
class Line:
    name: str
    colour: str
    dash: str
    points: list[tuple[float, float]]
    segments: list[str] = field(default_factory=list)  # SVG path data, one per unbroken run


@dataclass
class Bar:
    label: str
    x: float
    y: float
    width: float
    height: float
    value_text: str
    colour: str


@dataclass
class Chart:
    id: str
    title: str
    summary: str
    kind: str  # "line" | "bar"
    table_id: str
    width: int = WIDTH
    height: int = HEIGHT
    lines: list[Line] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    empty: bool = False


def _nice_max(value: float) -> float:
    if value <= 0:
        return 10.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def line_chart(chart_id: str, title: str, summary: str, table_id: str, labels: list[str],
               series: list[tuple[str, list[Figure]]]) -> Chart:
    """Return a line chart of weekly (or other) figures; hidden figures break the line."""
    chart = Chart(chart_id, title, summary, "line", table_id)
    values = [f.value for _n, figures in series for f in figures if f.value is not None]
    if not labels or not values:
        chart.empty = True
        return chart
    top = _nice_max(max(values))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(labels) - 1)
    for i in range(5):
        value = top * i / 4
        chart.y_ticks.append((TOP + plot_h - plot_h * i / 4, f"{value:,.0f}"))
    every = max(1, len(labels) // 6)
    chart.x_ticks = [(LEFT + i * step, label) for i, label in enumerate(labels) if i % every == 0]
    for index, (name, figures) in enumerate(series):
        line = Line(name, COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)], [])
        run: list[str] = []
        for i, figure in enumerate(figures):
            if figure.value is None:
                if run:
                    line.segments.append(" ".join(run))
                run = []
                continue
            x, y = LEFT + i * step, TOP + plot_h - plot_h * figure.value / top
            line.points.append((round(x, 1), round(y, 1)))
            run.append(f"{'M' if not run else 'L'}{x:.1f},{y:.1f}")
        if run:
            line.segments.append(" ".join(run))
        chart.lines.append(line)
    return chart


def bar_chart(chart_id: str, title: str, summary: str, table_id: str, bars: list[tuple[str, Figure]]) -> Chart:
    """Return a horizontal bar chart (the funnel); a hidden figure has no bar and says why."""
    row_h = 30
    height = TOP + BOTTOM // 2 + row_h * max(1, len(bars))
    chart = Chart(chart_id, title, summary, "bar", table_id, height=height)
    values = [f.value for _l, f in bars if f.value is not None]
    if not bars or not values:
        chart.empty = True
        return chart
    left = 180
    top = _nice_max(max(values))
    plot_w = WIDTH - left - 90
    for i, (label, figure) in enumerate(bars):
        width = plot_w * (figure.value or 0) / top
        chart.bars.append(Bar(label, left, TOP + i * row_h, round(width, 1), row_h - 8, figure.text,
                              COLOURS[0]))
    return chart
