"""ui layer of Civitai Shortcut."""
