#!/usr/bin/env python
"""Django's manage.py; operators use the `policydesk` command, which is the same thing."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from policydesk.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
