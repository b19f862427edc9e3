"""Evaluation metrics on cases computed by hand, and `yvy risk evaluate` on the Guadeloupe data."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from yvy.cli.main import cli
from yvy.risk.evaluate import edge_benchmark, figure_of_merit, wrmse_cells


def test_figure_of_merit_by_hand():
    lost = np.array([1, 1, 0, 0, 0, 1], bool)  # 3 lost
    prob = np.array([0.9, 0.1, 0.8, 0.2, 0.05, 0.7])  # top 3: idx 0, 2, 5 -> 2 hits, 1 miss, 1 false alarm
    assert figure_of_merit(lost, prob) == pytest.approx(2 / 4)
    assert figure_of_merit(lost, lost.astype(float)) == 1.0


def test_wrmse_cells_by_hand():
    # two cells of 2 x 2 pixels (1 ha each): cell A observed 2 lost, predicted 1.0; cell B observed 0, predicted 0.4
    rows = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    cols = np.array([0, 1, 0, 1, 2, 3, 2, 3])
    lost = np.array([1, 1, 0, 0, 0, 0, 0, 0], bool)
    prob = np.array([0.25] * 4 + [0.1] * 4)
    r = wrmse_cells(lost, prob, rows, cols, cell_px=2, pixel_ha=1.0)
    assert r["cells"] == 2 and r["observed_ha"] == 2 and r["predicted_ha"] == pytest.approx(1.4)
    assert r["rmse_ha"] == pytest.approx(np.sqrt((1.0 ** 2 + 0.4 ** 2) / 2))
    assert r["wrmse_ha"] == pytest.approx(r["rmse_ha"])  # equal forest area in both cells


def test_edge_benchmark_is_the_class_loss_rate():
    d = np.repeat([30.0, 60.0, 90.0, 120.0], 100)
    lost = np.zeros(400, bool)
    lost[:50] = True  # half of the 30 m class
    lost[100:110] = True  # a tenth of the 60 m class
    f = edge_benchmark(d, lost, classes=4)
    np.testing.assert_allclose(f(np.array([30.0, 60.0, 90.0, 120.0])), [0.5, 0.1, 0.0, 0.0])


def test_cli_evaluate_on_guadeloupe(data_file, tmp_path):
    glp = "risk/forestatrisk_glp"
    fcc = data_file(f"{glp}/fcc23_north_half.tif")
    covs = [str(data_file(f"{glp}/{n}")) for n in ("dist_edge.tif", "dist_defor.tif", "altitude.tif")]
    r = CliRunner().invoke(cli, ["-q", "risk", "evaluate", "--fcc", str(fcc), "--covariates", *covs,
                                 "--sample", "40000", "--out", str(tmp_path / "e.json"), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads((tmp_path / "e.json").read_text())
    assert res["test_pixels"] > 200_000 and res["test_rows"][0] == res["train_rows"][1]
    assert res["model"]["auc"] > res["edge_benchmark"]["auc"]
    assert res["model"]["fom"] > res["edge_benchmark"]["fom"]
    assert res["model"]["cells"][0]["observed_ha"] == res["edge_benchmark"]["cells"][0]["observed_ha"]
