"""Where the files people read beside the code live: `sql/` (auditor views, report queries) and
`expectations/` (the Great Expectations suites) stay at the top of the repository, where
reviewers find them. A checkout or editable install reads them there; an installed wheel
carries them as data files under `<prefix>/share/optout/` (pyproject.toml)."""

from __future__ import annotations

import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def data_dir(name: str, prefix: Path | None = None) -> Path:
    """The `sql` or `expectations` folder: the checkout's, else the installed copy."""
    beside = CHECKOUT / name
    if beside.is_dir():
        return beside
    return (prefix or Path(sys.prefix)) / "share" / "optout" / name
