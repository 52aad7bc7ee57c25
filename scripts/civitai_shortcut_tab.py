"""Civitai Shortcut: the WebUI's entry script (A1111 1.10 / Forge 2.0).

The WebUI loads only top-level files of ``scripts/``; everything else is the
``civitai_shortcut_core`` package beside this file, imported by absolute name from this
folder so it works whatever the working directory, and even when another extension ships
a ``scripts/__init__.py``.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from modules import script_callbacks  # noqa: E402  (the WebUI is running)

from civitai_shortcut_core import webui_entry  # noqa: E402

script_callbacks.on_ui_tabs(webui_entry.on_ui_tabs)
script_callbacks.on_ui_settings(webui_entry.on_ui_settings)
script_callbacks.on_app_started(webui_entry.on_app_started)
