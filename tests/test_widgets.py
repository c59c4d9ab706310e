"""riskkit.widgets: each explorer recomputes when a control moves and replaces its outputs."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

import riskkit as rk


class _Handle:
    def __init__(self):
        self.updates = []

    def update(self, obj):
        self.updates.append(obj)


EXPLORERS = {
    "rebalancing": lambda: rk.widgets.rebalancing_explorer(n_paths=6, years=1),
    "shrinkage": lambda: rk.widgets.shrinkage_explorer(n_assets=8, n_trials=3),
    "risk": lambda: rk.widgets.risk_explorer(),
    "hedging": lambda: rk.widgets.hedging_explorer(n_paths=10, days=30),
}


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_moving_a_control_recomputes_and_updates_every_output(name):
    explorer = EXPLORERS[name]()
    before = explorer.result
    n = len(explorer.outputs)
    explorer._handles = [_Handle() for _ in range(n)]
    control = next(iter(explorer.controls.values()))
    control.value = min(control.max, control.value + 5 * control.step)
    assert explorer.result is not before
    assert all(len(h.updates) == 1 for h in explorer._handles)
    assert len(explorer.outputs) == n
    tables = [o for o in explorer.outputs if hasattr(o, "to_html")]
    assert tables, "every explorer shows a table"


def test_erc_button_sets_equal_risk_shares_in_one_update():
    explorer = rk.widgets.risk_explorer({"a": 0.2, "b": 0.5, "c": 1.0}, correlation=0.2)
    explorer._handles = [_Handle() for _ in explorer.outputs]
    explorer.extra[0].click()
    shares = explorer.result.contributions["percent"]
    assert shares.max() - shares.min() < 0.01  # weights snap to the slider's 0.001 step
    assert all(len(h.updates) == 1 for h in explorer._handles)


def test_fallback_text_is_fixed_and_outputs_are_display_handles(monkeypatch):
    import IPython.display

    shown = []

    def record(obj, **kw):
        shown.append((obj, kw))
        return _Handle() if kw.get("display_id") else None

    monkeypatch.setattr(IPython.display, "display", record)
    explorer = rk.widgets.risk_explorer()
    explorer._ipython_display_()
    bundle, kw = shown[0]
    assert kw == {"raw": True}
    assert bundle["text/plain"].startswith("[Risk contribution explorer: controls for w_BTC")
    assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]
    assert [obj for obj, _ in shown[1:]] == explorer.outputs
    assert all(kw == {"display_id": True} for _, kw in shown[1:])
    explorer.controls["correlation"].value = 0.6
    assert all(len(h.updates) == 1 for h in explorer._handles)


def test_a_refused_combination_is_reported_and_keeps_the_outputs():
    explorer = rk.widgets.risk_explorer({"a": 0.2, "b": 0.5}, correlation=0.2)
    explorer.widget()
    explorer._handles = [_Handle() for _ in explorer.outputs]
    before = explorer.result
    explorer.set(w_a=0.0, w_b=0.0, vol_a=0.05)  # weights all zero: equal weights are used
    assert explorer.status == "" and explorer.result is not before
    explorer.compute = lambda **v: rk.explorers.risk_shares({"a": 1.0}, {"b": 1.0})
    explorer.update()
    assert explorer.status.startswith("not updated:") and explorer._status.value == explorer.status
    assert all(len(h.updates) == 1 for h in explorer._handles)


def test_answer_is_collapsed_html_with_tables_and_text():
    import pandas as pd

    html = rk.widgets.answer(pd.DataFrame({"x": [1.5]}), "a < b", summary="Answer").data
    assert html.startswith("<details><summary>Answer</summary>") and html.endswith("</details>")
    assert "<table" in html and "<p>a &lt; b</p>" in html
    assert html == rk.widgets.answer(pd.DataFrame({"x": [1.5]}), "a < b", summary="Answer").data


def test_explorers_take_their_computations_keywords_and_defaults():
    """One place for each default (issue 13): the explorer's signature is its computation's."""
    import inspect

    from riskkit import explorers, widgets
    from riskkit.exceptions import InvalidParameterError

    for widget, compute in (
        (widgets.rebalancing_explorer, explorers.rebalancing_paths),
        (widgets.shrinkage_explorer, explorers.shrinkage_trials),
        (widgets.hedging_explorer, explorers.delta_hedge_paths),
    ):
        assert list(inspect.signature(widget).parameters) == list(inspect.signature(compute).parameters)
        with pytest.raises(InvalidParameterError, match=r"has no option 'bnad'; its options are"):
            widget(bnad=0.1)


def test_risk_explorer_names_a_tie_and_reads_weights_in_percent():
    """Issue 26: after ERC four equal shares were reported as "largest share 25.0% (ETH)"; the
    weight sliders read 0.250 while the chart showed the normalised weight in %."""
    explorer = rk.widgets.risk_explorer({"a": 0.3, "b": 0.3, "c": 0.3}, correlation=0.2)
    table = explorer.outputs[1]["value"]
    # three equal volatilities at equal weights: three equal shares of 1/3
    assert table["largest share of risk"] == "all three at 33.3% (equal within 0.25 percentage point)"
    assert table["weights (the sliders over their sum)"] == "a 33.3%, b 33.3%, c 33.3%"
    assert explorer.controls["w_a"].readout_format == ".1%"
    explorer.set(w_a=0.5, w_b=0.25, w_c=0.25)  # shares by hand: (w²σ² + ρσ²w Σ_{j≠i} w_j) / σ_p²
    w, rho = np.array([0.5, 0.25, 0.25]), 0.2
    cov = 0.09 * (rho + (1 - rho) * np.eye(3))
    share = w * (cov @ w) / (w @ cov @ w)
    assert explorer.outputs[1]["value"]["largest share of risk"] == f"{100 * share[0]:.1f}% (a)"
    assert explorer.outputs[1]["value"]["weights (the sliders over their sum)"] == "a 50.0%, b 25.0%, c 25.0%"
    four = rk.widgets.risk_explorer()  # the notebook's four coins: ERC on the sliders' 0.001 steps
    four.extra[0].click()
    # shares 24.98-25.03% (the snapped weights): named as the tie they are, the tolerance stated
    assert (
        four.outputs[1]["value"]["largest share of risk"]
        == "all four at 25.0% (equal within 0.25 percentage point)"
    )
