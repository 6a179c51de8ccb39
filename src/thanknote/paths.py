"""Where thanknote keeps its files, each overridable by an environment variable."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from thanknote.settings import Variable, read

APP = "thanknote"


def _platformdirs() -> ModuleType:
    import platformdirs

    return platformdirs


def send_log_path(option: Path | None = None) -> Path:
    if option is not None:
        return option
    if value := read(Variable.DB):
        return Path(value)
    return Path(_platformdirs().user_data_dir(APP, appauthor=False)) / "sends.sqlite3"


def gmail_token_path() -> Path:
    if value := read(Variable.GMAIL_TOKEN):
        return Path(value)
    return Path(_platformdirs().user_config_dir(APP, appauthor=False)) / "gmail-token.json"


def microsoft_token_path() -> Path:
    if value := read(Variable.MICROSOFT_TOKEN):
        return Path(value)
    return Path(_platformdirs().user_config_dir(APP, appauthor=False)) / "microsoft-token.json"


def client_secrets_path(option: Path | None = None) -> Path:
    """--client-secrets, then THANKNOTE_CLIENT_SECRETS, ./credentials.json, the config dir."""
    if option is not None:
        return option
    if value := read(Variable.CLIENT_SECRETS):
        return Path(value)
    local = Path("credentials.json")
    if local.is_file():
        return local
    return Path(_platformdirs().user_config_dir(APP, appauthor=False)) / "credentials.json"
