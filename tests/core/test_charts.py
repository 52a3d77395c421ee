"""Charts: figures as data with their numbers as a table, plotly.min.js served locally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from policydesk.core.charts import bar_chart, line_chart

MAP_STYLE_ID = "9f215cf04c5486422605d13261cb87401f4e7763b6296af81e98efbc0130da53"


def test_a_bar_chart_carries_its_numbers_as_a_table() -> None:
    chart = bar_chart(
        title="Wait by teller",
        categories=["林秀英", "陈美玲"],
        series=[("mean", [4.5, 7.25]), ("p90", [9, None])],
        unit="min",
    )
    assert [trace["name"] for trace in chart["figure"]["data"]] == ["mean", "p90"]
    assert chart["figure"]["data"][0]["y"] == [4.5, 7.25]
    assert chart["table"]["rows"][1] == {"label": "陈美玲", "values": [7.25, None]}


def test_a_horizontal_bar_chart_puts_the_values_on_x() -> None:
    chart = bar_chart(title="t", categories=["a"], series=[("s", [3])], horizontal=True)
    trace = chart["figure"]["data"][0]
    assert trace["x"] == [3] and trace["y"] == ["a"] and trace["orientation"] == "h"


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 1"):
        line_chart(title="t", x=["2026-W01"], series=[("s", [1, 2])])


def test_the_include_renders_the_figure_as_json_and_the_table() -> None:
    chart = line_chart(title="Weekly", x=["W1", "W2"], series=[("success", [0.9, 0.95])])
    html = render_to_string("core/chart.html", {"chart": chart})
    assert f'data-chart="{chart["data_id"]}"' in html
    assert f'<script id="{chart["data_id"]}" type="application/json">' in html
    assert '<td class="number">0.95</td>' in html


def test_plotly_is_served_from_the_package_not_a_cdn() -> None:
    found = finders.find("plotly/plotly.min.js")
    assert found is not None and found.endswith("package_data/plotly.min.js")
    assert finders.find("plotly/datasets/iris.csv.gz") is None  # nothing else of the package


def test_every_page_carries_the_style_elements_plotly_would_otherwise_inject(
    client: Any,
) -> None:
    """Under the strict CSP plotly may not add style elements; these nonce-carrying ones,
    present beforehand, make it skip that (a browser test would report the violation)."""
    html = client.get("/accounts/login/").content.decode()
    assert 'id="plotly.js-style-global" class="no-inline-styles" nonce="' in html
    assert f'id="{MAP_STYLE_ID}" nonce="' in html
    assert "{#" not in html and "plotly.js adds" not in html


def test_the_bundled_plotly_still_skips_its_styles_for_those_elements() -> None:
    """If a plotly upgrade changes how it injects styles, this fails before the browser does."""
    found = finders.find("plotly/plotly.min.js")
    assert isinstance(found, str)
    source = Path(found).read_text(encoding="utf-8")
    assert 'n.matches(".no-inline-styles")' in source
    assert (
        'getElementById("9f215cf04c5486422605d13261cb87401f4e7763b6296af81e98efbc0130da53")'
        in source
    )
    assert source.count('createElement("style")') == 2
