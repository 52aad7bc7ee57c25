"""Routes of the fake Civitai: placeholder until this module is written."""


def install(server):
    """Adds this module's routes to server."""
