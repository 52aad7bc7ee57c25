"""host layer of Civitai Shortcut."""
