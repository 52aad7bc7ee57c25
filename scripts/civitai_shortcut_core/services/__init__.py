"""services layer of Civitai Shortcut."""
