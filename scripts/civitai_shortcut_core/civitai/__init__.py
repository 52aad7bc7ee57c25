"""civitai layer of Civitai Shortcut."""
