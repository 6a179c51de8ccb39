"""The Gmail checks: the token file, a refresh, its scope, one API call, the 7-day trap.

The 7-day trap: Google gives an OAuth client left in "Testing" (the state its console
creates) refresh tokens that expire after 7 days, so a candidate who signs in on interview
day can send the thank-you notes but not the follow-up ten days later. Google does not say
whether a client is in Testing. thanknote records, at ``thanknote auth``, when the sign-in
happened and the refresh token's lifetime when Google's answer states one
(``refresh_token_expires_in``); a token older than six days whose client is unknown is
suspect too, unless it is past seven days and still refreshes (then it cannot be Testing).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from thanknote.atomic_file import loose_mode
from thanknote.doctor import Check, Subject, ok, problem, warning
from thanknote.errors import ThanknoteError
from thanknote.paths import gmail_token_path
from thanknote.senders.gmail import credentials as gmail_token

TRAP_AGE = dt.timedelta(days=6)
TESTING_LIFETIME = dt.timedelta(days=7)
PUBLISH = (
    "publish the OAuth client for personal use: Google Cloud console → Google Auth "
    "Platform (OAuth consent screen) → Audience → Publish app (your own account needs "
    "no verification), then run `thanknote auth` again for a token that lasts"
)


def token_exists() -> bool:
    return gmail_token_path().is_file()


def checks(about: Subject, now: dt.datetime) -> list[Check]:
    path = gmail_token_path()
    if not path.is_file():
        return [
            problem(
                "gmail token",
                f"no Gmail token at {path}",
                "run `thanknote auth` (once per machine) to sign in to Gmail",
            )
        ]
    if (mode := loose_mode(path)) is not None:
        return [
            problem(
                "gmail token",
                f"{path} is readable by other users (mode {mode:04o})",
                f"chmod 600 {path}; if someone may have copied it, remove thanknote's "
                "access at https://myaccount.google.com/permissions and run "
                "`thanknote auth`",
            )
        ]
    record = gmail_token.sign_in_record(path)
    found = [ok("gmail token", f"{path} (mode 0600)")]
    from thanknote.senders.gmail.sender import GmailSender

    sender = GmailSender.from_environment("send")
    try:
        sender.open()  # loads the token, refreshing an expired one
        gmail_token.refresh(sender.credentials)  # and once more: does the refresh token work?
    except ThanknoteError as error:
        sender.close()
        return [*found, problem("gmail refresh", error.message, error.hint)]
    try:
        found.append(
            ok("gmail refresh", "the refresh token works: Google issued a new access token")
        )
        found.append(_scope(sender.credentials))
        found.append(_profile(sender, about))
        found.append(trap(record, path, about, now, refreshed=True))
    finally:
        sender.close()  # saves the refreshed token, keeping the sign-in record
    return found


def _scope(credentials: Any) -> Check:
    granted = set(credentials.granted_scopes or credentials.scopes or ())
    extra = sorted(granted - {gmail_token.COMPOSE_SCOPE})
    if extra:
        return warning(
            "gmail scope",
            f"the token grants more than thanknote needs: {' '.join(extra)} besides gmail.compose",
            "run `thanknote auth` for a gmail.compose-only token, and remove the "
            "old grant at https://myaccount.google.com/permissions",
        )
    return ok("gmail scope", "gmail.compose only (create drafts and send them)")


def _profile(sender: Any, about: Subject) -> Check:
    from googleapiclient.errors import HttpError

    try:
        answer = sender.service.users().getProfile(userId="me").execute(num_retries=0)
    except HttpError as error:
        return problem(
            "gmail api",
            f"users.getProfile failed: HTTP {error.status_code} {error.reason}",
            "try again later; if it persists, run `thanknote auth`",
        )
    except OSError as error:
        return problem(
            "gmail api",
            f"cannot reach the Gmail API: {type(error).__name__}",
            "check the network connection",
        )
    address = str(answer.get("emailAddress", ""))
    if about.candidate is not None and address.casefold() != about.candidate.email.casefold():
        return warning(
            "gmail api",
            f"the token is for {address}, but the notes are From {about.candidate.email}",
            "Gmail sends From the signed-in address "
            'unless the file\'s address is one of its "Send mail as" addresses; '
            "sign in with the right account (`thanknote auth`)",
        )
    return ok("gmail api", f"users.getProfile answered for {address}")


def trap(
    record: dict[str, str],
    path: os.PathLike[str] | str,
    about: Subject,
    now: dt.datetime,
    *,
    refreshed: bool,
) -> Check:
    """The 7-day trap, judged from the sign-in record (or the file's date, a lower bound)."""
    signed_in = _instant(record.get(gmail_token.SIGNED_IN_AT))
    guessed = signed_in is None
    if signed_in is None:
        signed_in = dt.datetime.fromtimestamp(os.stat(path).st_mtime, dt.UTC)
    expires = _instant(record.get(gmail_token.REFRESH_TOKEN_EXPIRES_AT))
    age = now - signed_in
    since = f"signed in {signed_in:%Y-%m-%d}" + (
        " (or before: the token file's date)" if guessed else ""
    )
    testing = expires is not None and expires - signed_in <= TESTING_LIFETIME
    if not testing and age > TESTING_LIFETIME and refreshed:
        return ok(
            "gmail follow-up",
            f"{since}, more than 7 days ago, and the token still "
            "refreshes: its client is not in Testing",
        )
    suspect = testing or age > TRAP_AGE
    reason = (
        f"Google gave its refresh token a life until {expires:%Y-%m-%d}, as it does for "
        'an OAuth client in "Testing"'
        if testing and expires is not None
        else f'the token is {age.days} days old, and a client in "Testing" gets refresh '
        "tokens that expire after 7 days"
    )
    if about.follow_up_on is None:
        if testing:
            return warning("gmail follow-up", f"{since}; {reason}", PUBLISH)
        return ok(
            "gmail follow-up",
            f"{since}; pass the interview FILE to check the token against its follow-up date",
        )
    days = (about.follow_up_on - signed_in.date()).days
    if suspect and days > 7:
        return warning(
            "gmail follow-up",
            f"the follow-up on {about.follow_up_on} is {days} days after the sign-in, and {reason}",
            PUBLISH,
        )
    return ok(
        "gmail follow-up",
        f"{since}; nothing suggests the token expires before the follow-up on {about.follow_up_on}",
    )


def _instant(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)
