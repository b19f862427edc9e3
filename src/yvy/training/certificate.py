"""A trainee's certificate of one session: a CSV of every answer and a PDF (fpdf2) with the
score, the results by kind of case and the SHA-256 of the CSV it summarises.

Files are written through :func:`yvy.io.atomic_path`. Texts go through :mod:`yvy.i18n`.
Imports fpdf2 lazily (through :mod:`yvy._pdf`); must not import click, fastapi, yvy.storage.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .._pdf import latin1, start_pdf
from ..i18n import N_, translator
from ..io import atomic_path, safe_name, sha256_file

__all__ = ["CSV_COLUMNS", "write_certificate"]

CSV_COLUMNS = ("trainee", "exercise", "case_id", "kind", "decision", "reason", "action", "truth_decision",
               "truth_reason", "truth_action", "decision_ok", "reason_ok", "action_ok", "iou", "seconds")
KIND_NAMES = {"clearing": N_("real clearing"), "seasonal": N_("seasonal dip"), "cloud_shadow": N_("cloud shadow"),
              "fire": N_("fire"), "permit": N_("clearing inside a permit")}


def _pct(tr, v) -> str:
    return "-" if v is None else f"{tr.number(100 * v, 1)} %"


def _num(tr, v, digits: int = 2) -> str:
    return "-" if v is None else tr.number(v, digits)


def _write_csv(path: Path, report: dict) -> None:
    s, ex = report["session"], report["exercise"]
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for a in report["answers"]:
            row = {**a, "trainee": s["trainee"], "exercise": ex["id"]}
            w.writerow(["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS])


def _summary_lines(tr, report: dict) -> list[tuple[str, str]]:
    t, sc, s, ex = tr.gettext, report["score"], report["session"], report["exercise"]
    secs = sc["median_seconds"]
    return [
        (t("Trainee"), s["trainee"]), (t("Exercise"), f"{ex['title']} ({ex['id']})"),
        (t("Started"), s["started"]), (t("Finished"), s["finished"] or "-"),
        (t("Cases answered"), f"{sc['answered']} / {sc['cases']}"),
        (t("Accuracy (confirm / dismiss)"), _pct(tr, sc["accuracy"])),
        (t("Cohen's kappa"), _num(tr, sc["kappa"])), (t("Right reason"), _pct(tr, sc["reason_accuracy"])),
        (t("Right action"), _pct(tr, sc["action_accuracy"])),
        (t("Mean polygon IoU"), _num(tr, sc["mean_iou"])),
        (t("Median time per case"), "-" if secs is None else f"{tr.number(secs, 0)} s"),
    ]


def _write_pdf(path: Path, report: dict, lang: str, csv_path: Path) -> None:
    tr = translator(lang)
    t = tr.gettext
    pdf = start_pdf(t("Training certificate"), t("Deforestation alert review simulator"))
    pdf.ln(3)
    for label, value in _summary_lines(tr, report):
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(62, 6, latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(0, 6, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, latin1(t("Results by kind of case")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for kind, (right, n) in report["score"]["by_kind"].items():
        pdf.cell(0, 6, latin1(f"{t(KIND_NAMES[kind])}: {right} / {n}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 7)
    pdf.multi_cell(0, 4, latin1(t("Answers: {name}, SHA-256 {sha}").format(name=csv_path.name,
                                                                          sha=sha256_file(csv_path))))
    with atomic_path(path) as tmp:
        pdf.output(str(tmp))


def write_certificate(report: dict, out_dir: str | Path, *, lang: str = "es") -> dict[str, Path]:
    """Write ``<trainee>_<session>.csv`` and ``.pdf`` of a :func:`~yvy.training.service.session_report`
    into ``out_dir``; their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = safe_name(f"{report['session']['trainee']}_{report['session']['id']}")
    paths = {"csv": out / f"{stem}.csv", "pdf": out / f"{stem}.pdf"}
    _write_csv(paths["csv"], report)
    _write_pdf(paths["pdf"], report, lang, paths["csv"])
    return paths
