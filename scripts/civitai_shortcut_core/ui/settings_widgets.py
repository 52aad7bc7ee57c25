"""Which Gradio widget each setting uses in the WebUI's Settings tab."""

from __future__ import annotations

import gradio as gr


def component_for(setting):
    """(component class, component_args) for a ``settings.Setting``."""
    if setting.secret:
        return gr.Textbox, {"type": "password"}
    if setting.choices:
        return gr.Dropdown, {"choices": list(setting.choices)}
    if isinstance(setting.default, bool):
        return None, None  # the WebUI picks a Checkbox from the default's type
    if isinstance(setting.default, (int, float)) and setting.minimum is not None and setting.maximum is not None:
        step = 1 if isinstance(setting.default, int) else 0.5
        return gr.Slider, {"minimum": setting.minimum, "maximum": setting.maximum, "step": step}
    if setting.name == "extra_folders":
        return gr.Textbox, {"lines": 3}
    return None, None
