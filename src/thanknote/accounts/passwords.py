"""The SMTP password: the environment, then the system keyring, then a hidden prompt.

``thanknote login smtp`` stores the password with the ``keyring`` library (macOS Keychain,
Windows Credential Locker, the Secret Service of GNOME or KDE), keyed by the SMTP host and
the login. On a machine without a keyring (a headless server) it refuses and says how to
use ``THANKNOTE_SMTP_PASSWORD`` instead: thanknote never writes a password to a plain file,
and a keyring back end that would (keyrings.alt's plaintext file) counts as none, as does
keyring's null back end (``keyring --disable``), which stores nothing.

No password reaches output, the log or an exception message: errors from a back end are
reported by their type and the back end's name only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from thanknote.errors import BadInput, ThanknoteError
from thanknote.settings import Variable, read

if TYPE_CHECKING:
    from thanknote.senders.smtp.connection_settings import SmtpSettings

PASSWORD_VARIABLE = Variable.SMTP_PASSWORD
_SERVICE = "thanknote-smtp"
_FILE_BACKENDS = "keyrings.alt.file"
"""keyrings.alt's back ends that keep secrets in a file of their own (plain or weakly
encrypted): not a system keyring."""


class NoKeyring(ThanknoteError):
    """There is no system keyring on this machine (or only one that writes a plain file)."""


NO_KEYRING_HINT = (
    f"set {PASSWORD_VARIABLE} in the environment of the command instead, "
    "ideally from a password manager, e.g. "
    f'{PASSWORD_VARIABLE}="$(pass show mail/smtp)" thanknote send FILE --via '
    "smtp; or type the password when thanknote asks"
)


@dataclass(frozen=True)
class Stored:
    host: str
    user: str
    backend: str
    """The keyring's name for itself, e.g. "macOS Keyring"."""


def service_name(host: str) -> str:
    """The keyring entry: service ``thanknote-smtp:HOST``, user name = the SMTP login."""
    return f"{_SERVICE}:{host.strip().casefold()}"


def _backend() -> Any:
    """The usable keyring back end, or NoKeyring."""
    import keyring
    from keyring.backends import chainer, fail, null

    backend = keyring.get_keyring()
    members = list(backend.backends) if isinstance(backend, chainer.ChainerBackend) else [backend]
    # The null back end (what `keyring --disable` sets) accepts a password and keeps nothing.
    usable = [
        b
        for b in members
        if not isinstance(b, fail.Keyring | null.Keyring) and type(b).__module__ != _FILE_BACKENDS
    ]
    if not usable:
        why = (
            "keyring is disabled: its null back end keeps nothing"
            if any(isinstance(b, null.Keyring) for b in members)
            else "a server without a desktop session has none"
        )
        raise NoKeyring(
            "this machine has no system keyring for thanknote to keep the SMTP "
            f"password in ({why}), and thanknote does not write passwords to a "
            "plain file",
            hint=NO_KEYRING_HINT,
        )
    return backend if usable == members else usable[0]


def check_keyring() -> str:
    """The keyring's name, or NoKeyring: ``login`` asks before the password is typed."""
    return _name(_backend())


def _name(backend: Any) -> str:
    return str(getattr(backend, "name", type(backend).__name__))


def store(host: str, user: str, password: str) -> Stored:
    from keyring.errors import KeyringError

    backend = _backend()
    try:
        backend.set_password(service_name(host), user, password)
    except KeyringError as error:
        raise ThanknoteError(
            f"the keyring ({_name(backend)}) did not store the password: {type(error).__name__}",
            hint="unlock the keyring and try again, or " + NO_KEYRING_HINT,
        ) from None
    return Stored(host=host, user=user, backend=_name(backend))


def remove(host: str, user: str) -> bool:
    """Remove the stored password; False when the keyring held none for host and user."""
    from keyring.errors import KeyringError, PasswordDeleteError

    backend = _backend()
    try:
        if backend.get_password(service_name(host), user) is None:
            return False
        backend.delete_password(service_name(host), user)
    except PasswordDeleteError:
        return False
    except KeyringError as error:
        raise ThanknoteError(
            f"the keyring ({_name(backend)}) did not remove the password: {type(error).__name__}"
        ) from None
    return True


def lookup(host: str, user: str) -> str | None:
    """The stored password, or None (no keyring, nothing stored, or a locked keyring)."""
    from keyring.errors import KeyringError

    try:
        backend = _backend()
    except NoKeyring:
        return None
    try:
        password = backend.get_password(service_name(host), user)
    except KeyringError:
        return None
    return password if isinstance(password, str) and password else None


def read_new_password(user: str, host: str) -> str:
    """The password for ``login``: a hidden prompt on a terminal, else the first stdin line."""
    if sys.stdin.isatty():
        import getpass

        try:
            password = getpass.getpass(f"SMTP password for {user} at {host}: ")
        except (KeyboardInterrupt, EOFError):
            print(file=sys.stderr)
            raise BadInput("no password given; nothing was stored") from None
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise BadInput("no password given; nothing was stored")
    return password


def find_password(host: str, user: str) -> tuple[str, str] | None:
    """The password without asking, and where it came from: the environment, the keyring."""
    if password := read(PASSWORD_VARIABLE):
        return password, PASSWORD_VARIABLE
    if password := lookup(host, user):
        return password, "the keyring"
    return None


def skips_login(security: str) -> bool:
    """True when a send does not log in: a relay on this machine (``--smtp-security none``)
    may take mail without a login, and with no THANKNOTE_SMTP_PASSWORD none is tried."""
    return security == "none" and not read(PASSWORD_VARIABLE)


def smtp_password(host: str, user: str, *, ask: Callable[[str], str]) -> str:
    """The password for a send: the environment, the keyring, then ``ask(user)``."""
    found = find_password(host, user)
    return found[0] if found is not None else ask(user)


def login_secret(settings: SmtpSettings, user: str, *, ask: Callable[[str], str]) -> str:
    """What the SMTP login needs: a Microsoft access token for OAuth, else the password."""
    if settings.auth == "oauth":
        from thanknote.accounts import microsoft

        return microsoft.access_token().access_token
    return smtp_password(settings.host, user, ask=ask)
