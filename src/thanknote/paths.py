"""Where thanknote keeps its files, each overridable by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

APP = "thanknote"


def _platformdirs() -> ModuleType:
    import platformdirs

    return platformdirs


def send_log_path(option: Path | None = None) -> Path:
    if option is not None:
        return option
    if value := os.environ.get("THANKNOTE_DB"):
        return Path(value)
    return Path(_platformdirs().user_data_dir(APP, appauthor=False)) / "sends.sqlite3"


def gmail_token_path() -> Path:
    if value := os.environ.get("THANKNOTE_GMAIL_TOKEN"):
        return Path(value)
    return Path(_platformdirs().user_config_dir(APP, appauthor=False)) / "gmail-token.json"


def microsoft_token_path() -> Path:
    if value := os.environ.get("THANKNOTE_MICROSOFT_TOKEN"):
        return Path(value)
    return Path(_platformdirs().user_config_dir(APP, appauthor=False)) / "microsoft-token.json"


def client_secrets_path(option: Path | None = None) -> Path:
    """--client-secrets, then THANKNOTE_CLIENT_SECRETS, ./credentials.json, the config dir."""
    if option is not None:
        return option
    if value := os.environ.get("THANKNOTE_CLIENT_SECRETS"):
        return Path(value)
    local = Path("credentials.json")
    if local.is_file():
        return local
    return Path(_platformdirs().user_config_dir(APP, appauthor=False)) / "credentials.json"
