"""Where rostertui keeps its files when the config does not say (platformdirs)."""

import os
from pathlib import Path

import platformdirs

APP = "rostertui"


def config_dir() -> Path:
    return Path(os.environ.get("ROSTERTUI_CONFIG_DIR") or platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    return Path(os.environ.get("ROSTERTUI_DATA_DIR") or platformdirs.user_data_dir(APP))
