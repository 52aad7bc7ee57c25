"""Run by the WebUI when the extension is installed and at every start (after the host's pins).

Installs only what is missing, from requirements.txt, and never anything the host pins:
gradio, httpx, fastapi, pydantic, starlette, torch (an upgrade there would break the WebUI;
see host-gradio.md §1.4).
"""

import os
import re

import launch

NEVER_TOUCH = {"gradio", "gradio-client", "httpx", "httpcore", "fastapi", "pydantic", "starlette", "torch",
               "torchvision", "uvicorn", "anyio", "huggingface-hub"}
#: distribution name -> import name, for is_installed's find_spec fallback
IMPORT_NAMES = {"pysocks": "socks", "pillow": "PIL"}


def requirements(path):
    """(distribution name, requirement line) for each line of requirements.txt."""
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name = re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].strip().lower()
        yield name, line


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, line in requirements(os.path.join(here, "requirements.txt")):
        if name in NEVER_TOUCH:
            continue
        if launch.is_installed(name) or launch.is_installed(IMPORT_NAMES.get(name, name)):
            continue
        launch.run_pip(f'install "{line}"', f"Civitai Shortcut requirement: {line}")


main()
