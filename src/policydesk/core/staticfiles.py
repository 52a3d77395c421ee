"""Static files from installed packages: plotly's bundled plotly.min.js, served as
/static/plotly/plotly.min.js (and collected by collectstatic) without copying it into the
repository or exposing the rest of the package's data files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
FILES = {"plotly/plotly.min.js": PLOTLY_DIR / "plotly.min.js"}


class _PrefixedStorage(FileSystemStorage):
    prefix = "plotly"


class PackageFilesFinder(BaseFinder):
    """Finds the listed package files only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = _PrefixedStorage(location=str(PLOTLY_DIR))

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        found = FILES.get(path)
        if found is None or not found.exists():
            return []  # as Django's finders answer for a file they do not have
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns: Any) -> Any:
        for path in FILES.values():
            if path.exists():
                yield path.name, self.storage
