"""Rendering report HTML to PDF with WeasyPrint, fetching nothing but our own files.

The fetcher serves only files inside the report folder and the app's static folder, and
data: URIs; any other URL — file:// elsewhere, http(s), anything a user might have typed —
is refused, so a report can neither read the server's other files nor reach the network.
"""
from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import weasyprint
from flask import current_app
from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint.urls import URLFetcher, URLFetcherResponse

from caseflow.config import PROJECT_ROOT

REPORTS_DIR = PROJECT_ROOT / "reports"
ALLOWED_DIRS = (REPORTS_DIR, PROJECT_ROOT / "caseflow" / "static")
BASE_URL = REPORTS_DIR.as_uri() + "/"
DEFAULT_FONTS = {
    # GB/T 9704 names first; Debian's fonts-noto-cjk as the fallback that is always there
    "REPORT_FONT_BODY": '"仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "Noto Serif CJK SC"',
    "REPORT_FONT_TITLE": '"方正小标宋简体", "FZXiaoBiaoSong-B05S", "Noto Serif CJK SC"',
    "REPORT_FONT_HEADING": '"黑体", "SimHei", "Noto Sans CJK SC"',
}

_env = Environment(loader=FileSystemLoader(REPORTS_DIR), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)


class RefusedURL(ValueError):
    """A URL the report may not fetch (WeasyPrint skips the resource)."""


class RestrictedFetcher(URLFetcher):
    def fetch(self, url: str, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
            if path.is_file() and any(path.is_relative_to(d) for d in ALLOWED_DIRS):
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        raise RefusedURL(f"report may not fetch {url[:80]}")


def fonts() -> dict[str, str]:
    config = current_app.config if current_app else {}
    return {key: config.get(key) or value for key, value in DEFAULT_FONTS.items()}


def render_html(template: str, **context: Any) -> str:
    return _env.get_template(template).render(fonts=fonts(), **context)


def html_to_pdf(html: str) -> bytes:
    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=RestrictedFetcher()).write_pdf()


def render_pdf(template: str, **context: Any) -> bytes:
    return html_to_pdf(render_html(template, **context))
