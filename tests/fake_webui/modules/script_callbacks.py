"""Stand-in for modules/script_callbacks.py: records callbacks the way the WebUI does."""

from collections import defaultdict, namedtuple

ScriptCallback = namedtuple("ScriptCallback", ["script", "callback", "name"])
callback_map = defaultdict(list)


def _add(kind, callback, name=None):
    callback_map[kind].append(ScriptCallback("civitai_shortcut_tab.py", callback, name))


def on_ui_tabs(callback, *, name=None):
    _add("callbacks_ui_tabs", callback, name)


def on_ui_settings(callback, *, name=None):
    _add("callbacks_ui_settings", callback, name)


def on_app_started(callback, *, name=None):
    _add("callbacks_app_started", callback, name)


def on_script_unloaded(callback, *, name=None):
    _add("callbacks_script_unloaded", callback, name)


def ui_tabs_callback():
    res = []
    for c in callback_map["callbacks_ui_tabs"]:
        res += c.callback() or []
    return res


def ui_settings_callback():
    for c in callback_map["callbacks_ui_settings"]:
        c.callback()


def app_started_callback(demo, app):
    for c in callback_map["callbacks_app_started"]:
        c.callback(demo, app)


def clear_callbacks():
    """What the WebUI does before re-running scripts on "Reload UI"."""
    for callback_list in callback_map.values():
        callback_list.clear()
