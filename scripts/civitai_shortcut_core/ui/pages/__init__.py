"""Pages of the Civitai Shortcut UI; each module exposes ``render(ctx: UiContext)``."""
