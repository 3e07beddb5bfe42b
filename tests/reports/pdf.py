"""Reading PDFs back the way a person would check them: text, fonts, page geometry."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

MM = 72 / 25.4


def text(pdf: bytes, tmp: Path, layout: bool = False) -> str:
    path = tmp / "doc.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True).stdout.decode()


def fonts(pdf: bytes, tmp: Path) -> list[dict[str, str]]:
    path = tmp / "fonts.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    rows = []
    for line in lines:
        parts = line.split()
        rows.append({"name": parts[0], "emb": parts[-5], "uni": parts[-3]})
    return rows


def words(pdf: bytes, tmp: Path) -> list[dict]:
    """Every word with its page and box (points, origin top-left), from pdftotext -bbox."""
    path = tmp / "bbox.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True).stdout.decode()
    result, page = [], 0
    for line in html.splitlines():
        if "<page " in line:
            page += 1
            size = re.search(r'width="([\d.]+)" height="([\d.]+)"', line)
            page_size = (float(size.group(1)), float(size.group(2)))
        m = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if m:
            x0, y0, x1, y1 = map(float, m.groups()[:4])
            result.append({"page": page, "size": page_size, "x0": x0, "y0": y0, "x1": x1, "y1": y1, "text": m.group(5)})
    return result
