"""Old name of infotext_utils (the WebUI aliases it since 1.8)."""

from .infotext_utils import *  # noqa: F401,F403
