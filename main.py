"""Civitai Shortcut standalone: ``python main.py`` starts the app; ``python main.py --help`` lists commands."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts"))

from civitai_shortcut_core.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
