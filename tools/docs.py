"""Render the README's screenshots from the shipped workbook with LibreOffice.

    python -m tools.docs            # writes docs/dashboard.png, docs/calllist.png, docs/card.png

Needs LibreOffice (``libreoffice-calc-nogui``, ``python3-uno``, ``poppler-utils``,
``fonts-noto-cjk``). The Dashboard is printed with its buttons.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tools.build import REPO, workbook_path
from tools.libreoffice import render
from xl_addin.names import CALLLIST, CUSTOMERCARD, DASHBOARD

__all__ = ["render_docs"]


def render_docs(book: Path | None = None, out_dir: Path | None = None, lang: str = "zh-CN",
                dpi: int = 110) -> list[Path]:
    book = book or workbook_path(lang)
    out_dir = out_dir or REPO / "docs"
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = {DASHBOARD.label(lang): "dashboard.png", CALLLIST.label(lang): "calllist.png",
               CUSTOMERCARD.label(lang): "card.png"}
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for sheet, name in targets.items():
            [png] = render(book, Path(tmp), [sheet], fmt="png", dpi=dpi,
                           print_controls=sheet == DASHBOARD.label(lang))
            shutil.copyfile(png, out_dir / name)
            written.append(out_dir / name)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lang", choices=["zh-CN", "en"], default="zh-CN")
    parser.add_argument("--dpi", type=int, default=110)
    args = parser.parse_args(argv)
    for p in render_docs(lang=args.lang, dpi=args.dpi):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
