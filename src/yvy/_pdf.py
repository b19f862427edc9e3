"""The start of every yvy PDF (fpdf2): A4 page, a title line and a provenance line.

Also :class:`Report`, a flowing report (headings, paragraphs, rows, tables, images) for evidence packages.

Imports fpdf2 (and matplotlib for its DejaVu font files) lazily; nothing else from yvy but ``errors``,
``io`` and the version.
"""

from __future__ import annotations

from . import __version__
from .errors import MissingDependencyError

__all__ = ["Report", "latin1", "start_pdf"]


def latin1(s) -> str:
    """``s`` as text the core PDF fonts can show (other characters become '?')."""
    return str(s).encode("latin-1", "replace").decode("latin-1")


def start_pdf(title: str, subtitle: str, by: str = "by", *, font: str = "Helvetica", text=latin1, pdf=None):
    """A new A4 ``FPDF`` with ``title`` (bold) and ``subtitle`` (small, then ``by`` and the yvy version)."""
    pdf = pdf or _new_pdf()
    pdf.add_page()
    pdf.set_font(font, "B", 15)
    pdf.cell(0, 9, text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "", 8)
    pdf.cell(0, 5, text(f"{subtitle} {by} yvy {__version__}"), new_x="LMARGIN", new_y="NEXT")
    return pdf


def _new_pdf():
    try:
        from fpdf import FPDF
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("fpdf2", "the PDF report needs fpdf2; pip install fpdf2") from exc
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=12)
    return pdf


UNICODE_FONT = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
"""The DejaVu Sans files matplotlib ships (``mpl-data/fonts/ttf``): any Unicode text, embedded as subsets."""


def _unicode_font(pdf) -> str | None:
    """Register DejaVu Sans from matplotlib's data folder; None (core fonts) when it is not there."""
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return None
    from pathlib import Path

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    if not all((folder / f).is_file() for f in UNICODE_FONT.values()):
        return None
    for style, f in UNICODE_FONT.items():
        pdf.add_font("DejaVu", style, str(folder / f))
    return "DejaVu"


class Report:
    """A simple flowing A4 report on fpdf2: headings, paragraphs, label/value rows, tables, images.

    Text is shown in DejaVu Sans (any Unicode text: names in Guaraní, dashes, symbols) when
    matplotlib's copy is found, else in the core fonts (Latin-1; other characters become '?').
    """

    def __init__(self, title: str, subtitle: str, by: str = "by"):
        pdf = _new_pdf()
        font = _unicode_font(pdf)
        self.font, self.text = (font, str) if font else ("Helvetica", latin1)
        self.pdf = start_pdf(title, subtitle, by, font=self.font, text=self.text, pdf=pdf)
        self.pdf.ln(2)

    def _room(self, height: float) -> None:
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def heading(self, text: str, level: int = 1) -> None:
        """A section heading (level 1) or sub-heading (level 2)."""
        self._room(20)
        self.pdf.ln(2 if level == 1 else 1)
        self.pdf.set_font(self.font, "B", 12 if level == 1 else 10)
        self.pdf.cell(0, 7 if level == 1 else 6, self.text(text), new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, *, small: bool = False, italic: bool = False) -> None:
        """A paragraph of running text."""
        self.pdf.set_font(self.font, "I" if italic else "", 7.5 if small else 9.5)
        self.pdf.multi_cell(0, 4 if small else 5, self.text(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def rows(self, rows, label_width: float = 48) -> None:
        """Label / value lines (values wrap)."""
        for label, value in rows:
            self._room(6)
            self.pdf.set_font(self.font, "B", 9)
            self.pdf.cell(label_width, 5, self.text(label))
            self.pdf.set_font(self.font, "", 9)
            self.pdf.multi_cell(0, 5, self.text(value), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def _row(self, cells, widths, style: str, size: float) -> None:
        self.pdf.set_font(self.font, style, size)
        line_h = size * 0.45
        lines = [len(self.pdf.multi_cell(w, line_h, self.text(c), dry_run=True, output="LINES"))
                 for c, w in zip(cells, widths, strict=True)]
        height = max(lines) * line_h + 1
        self._room(height)
        x, y = self.pdf.l_margin, self.pdf.get_y()
        for c, w in zip(cells, widths, strict=True):
            self.pdf.set_xy(x, y)
            self.pdf.multi_cell(w, line_h, self.text(c), border=0)
            x += w
        self.pdf.set_draw_color(200, 200, 200)
        self.pdf.line(self.pdf.l_margin, y + height, self.pdf.l_margin + sum(widths), y + height)
        self.pdf.set_xy(self.pdf.l_margin, y + height)

    def table(self, headers, rows, widths, size: float = 6.5) -> None:
        """A table with a bold header row, repeated after each page break."""
        self._row(headers, widths, "B", size)
        for r in rows:
            if self.pdf.get_y() + 10 > self.pdf.page_break_trigger:
                self.pdf.add_page()
                self._row(headers, widths, "B", size)
            self._row(r, widths, "", size)
        self.pdf.ln(2)

    def image(self, path: str, width: float) -> None:
        """An image, full width or ``width`` mm, on a new page when it does not fit."""
        h = width * _aspect(path)
        self._room(h + 2)
        self.pdf.image(path, w=width)
        self.pdf.ln(1)

    def image_row(self, paths, width: float) -> None:
        """Images side by side (``width`` mm each)."""
        if not paths:
            return
        h = max(width * _aspect(p) for p in paths)
        self._room(h + 2)
        y = self.pdf.get_y()
        for i, p in enumerate(paths):
            self.pdf.image(p, x=self.pdf.l_margin + i * (width + 2), y=y, w=width)
        self.pdf.set_y(y + h + 2)

    def save(self, path) -> None:
        """Write the PDF atomically."""
        from .io import atomic_path

        with atomic_path(path, suffix=".pdf") as tmp:
            self.pdf.output(str(tmp))


def _aspect(path) -> float:
    """Height / width of a PNG (read from its header)."""
    import struct

    with open(path, "rb") as fh:
        head = fh.read(24)
    w, h = struct.unpack(">II", head[16:24])
    return h / w if w else 1.0
