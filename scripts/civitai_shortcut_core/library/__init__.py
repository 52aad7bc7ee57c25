"""library layer of Civitai Shortcut."""
