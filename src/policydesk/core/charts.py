"""Charts for pages: plotly figures as plain dicts, drawn in the browser by the bundled
plotly.min.js (core/static/core/charts.js), each with the same numbers as a table beside it
for keyboards and screen readers.

A view builds the figure with `bar_chart` or `line_chart` and the template includes
`core/chart.html` with `chart=figure`. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.utils.functional import Promise

Number = float | int | None
Series = Sequence[tuple[str | Promise, Sequence[Number]]]

# One palette for every chart, readable for the common colour-vision deficiencies.
PALETTE = ("#1f5f99", "#d1812a", "#3f8f5a", "#a33b3b", "#6b5b95", "#5a6f7a")


def _chart_id(title: str, categories: Sequence[str]) -> str:
    digest = hashlib.blake2s(f"{title}|{'|'.join(categories)}".encode(), digest_size=6)
    return f"chart-{digest.hexdigest()}"


def _layout(title: str, unit: str, *, horizontal: bool = False) -> dict[str, Any]:
    value_axis = {"title": {"text": unit}, "rangemode": "tozero", "automargin": True}
    category_axis = {"automargin": True, "type": "category"}
    return {
        "margin": {"l": 48, "r": 16, "t": 16, "b": 48},
        "height": 320,
        "barmode": "group",
        "legend": {"orientation": "h", "y": -0.2},
        "font": {"family": "system-ui, 'Noto Sans CJK SC', sans-serif", "size": 13},
        "xaxis": value_axis if horizontal else category_axis,
        "yaxis": category_axis if horizontal else value_axis,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "meta": {"title": title},
    }


def _table(categories: Sequence[str], series: Series) -> dict[str, Any]:
    return {
        "columns": [str(name) for name, _ in series],
        "rows": [
            {"label": label, "values": [values[index] for _, values in series]}
            for index, label in enumerate(categories)
        ],
    }


def bar_chart(
    *,
    title: str | Promise,
    categories: Sequence[str],
    series: Series,
    unit: str | Promise = "",
    horizontal: bool = False,
) -> dict[str, Any]:
    """Grouped bars: one bar per category and series (e.g. wait per teller, this month and
    last); `horizontal` for long category names."""
    categories = [str(category) for category in categories]
    data = []
    for position, (name, values) in enumerate(series):
        if len(values) != len(categories):
            raise ValueError(f"series {name!s} has {len(values)} values for {len(categories)}")
        axis_values = list(values)
        data.append(
            {
                "type": "bar",
                "name": str(name),
                "x": axis_values if horizontal else categories,
                "y": categories if horizontal else axis_values,
                "orientation": "h" if horizontal else "v",
                "marker": {"color": PALETTE[position % len(PALETTE)]},
            }
        )
    chart_id = _chart_id(str(title), categories)
    return {
        "id": chart_id,
        "data_id": f"{chart_id}-data",
        "title": str(title),
        "unit": str(unit),
        "figure": {"data": data, "layout": _layout(str(title), str(unit), horizontal=horizontal)},
        "table": _table(categories, series),
    }


def line_chart(
    *, title: str | Promise, x: Sequence[str], series: Series, unit: str | Promise = ""
) -> dict[str, Any]:
    """Lines over time (e.g. a weekly trend); x are labels such as ISO weeks or months."""
    labels = [str(label) for label in x]
    data = []
    for position, (name, values) in enumerate(series):
        if len(values) != len(labels):
            raise ValueError(f"series {name!s} has {len(values)} values for {len(labels)}")
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": str(name),
                "x": labels,
                "y": list(values),
                "line": {"color": PALETTE[position % len(PALETTE)]},
            }
        )
    chart_id = _chart_id(str(title), labels)
    return {
        "id": chart_id,
        "data_id": f"{chart_id}-data",
        "title": str(title),
        "unit": str(unit),
        "figure": {"data": data, "layout": _layout(str(title), str(unit))},
        "table": _table(labels, series),
    }
