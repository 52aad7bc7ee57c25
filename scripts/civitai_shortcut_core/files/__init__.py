"""files layer of Civitai Shortcut."""
