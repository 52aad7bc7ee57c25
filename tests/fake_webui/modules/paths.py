"""Stand-in for modules/paths.py (values set by shared.configure)."""

script_path = ""
data_path = ""
models_path = ""
