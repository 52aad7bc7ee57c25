"""Stand-in for the WebUI's ``launch`` module as install.py sees it: records pip calls."""

import importlib.metadata
import importlib.util

pip_calls = []


def is_installed(package):
    try:
        importlib.metadata.distribution(package)
        return True
    except importlib.metadata.PackageNotFoundError:
        return importlib.util.find_spec(package) is not None


def run_pip(command, desc=None, live=False):
    pip_calls.append(command)
    return ""
