"""The start of every yvy PDF (fpdf2): A4 page, a title line and a provenance line.

Imports fpdf2 lazily; nothing else from yvy but ``errors`` and the version.
"""

from __future__ import annotations

from . import __version__
from .errors import MissingDependencyError

__all__ = ["latin1", "start_pdf"]


def latin1(s) -> str:
    """``s`` as text the core PDF fonts can show (other characters become '?')."""
    return str(s).encode("latin-1", "replace").decode("latin-1")


def start_pdf(title: str, subtitle: str):
    """A new A4 ``FPDF`` with ``title`` (bold) and ``subtitle`` (small, with the yvy version)."""
    try:
        from fpdf import FPDF
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("fpdf2", "the PDF report needs fpdf2; pip install fpdf2") from exc
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, latin1(f"{subtitle} by yvy {__version__}"), new_x="LMARGIN", new_y="NEXT")
    return pdf
