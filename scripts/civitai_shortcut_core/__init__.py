"""Civitai Shortcut: an offline library of Civitai models for the SD WebUI and a standalone app.

Layers import downward only (see DESIGN.md): entry points -> ui -> app -> services ->
civitai / library / files -> host. Only ``ui`` imports gradio; only ``host.webui`` imports
the WebUI's ``modules``.
"""

__version__ = "0.1.0"
USER_AGENT = f"CivitaiShortcut/{__version__} (+https://github.com/civitai-shortcut/civitai-shortcut)"
