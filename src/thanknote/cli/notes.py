"""The notes: ``preview``, ``draft``, ``send`` and ``followup``.

Each parses its options into a :class:`thanknote.planning.Request`, plans it
(:func:`thanknote.planning.plan`), and hands the plan to the delivery session
(:func:`thanknote.session.deliver`) with the terminal's callbacks.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thanknote.cli.options import (
    AllowMentionOption,
    AllowSimilarOption,
    DbOption,
    DryRunOption,
    FileArgument,
    MaxSimilarityOption,
    OnlyOption,
    ResendOption,
    SmtpOptions,
    TemplateOption,
    YesOption,
    smtp_options,
)
from thanknote.cli.output import (
    Progress,
    ask_password,
    confirm,
    guarded,
    print_checked,
    print_json,
    print_plan,
    print_result,
)
from thanknote.errors import GuardRefusal
from thanknote.values import Channel, Purpose

if TYPE_CHECKING:
    from thanknote.checks import GuardOptions
    from thanknote.planning import Plan, Request
    from thanknote.senders.smtp import SmtpSettings


def _guards(
    max_similarity: float, allow_similar: bool, allow_mention: list[str] | None
) -> GuardOptions:
    from thanknote.checks import GuardOptions

    return GuardOptions(max_similarity, allow_similar, frozenset(allow_mention or ()))


def _request(
    file: Path,
    via: Channel,
    purpose: Purpose,
    template: Path | None,
    db: Path | None,
    only: list[str] | None,
    resend: list[str] | None,
    guards: GuardOptions,
) -> Request:
    from thanknote.planning import Request

    return Request(
        path=file,
        via=via,
        purpose=purpose,
        template=template,
        db=db,
        only=frozenset(only or ()),
        resend=frozenset(resend or ()),
        guards=guards,
    )


@guarded
def preview(
    file: FileArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write one .eml file per note here.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the notes as JSON.")] = False,
    template: TemplateOption = None,
    db: DbOption = None,
    max_similarity: MaxSimilarityOption = 0.5,
    allow_similar: AllowSimilarOption = False,
    allow_mention: AllowMentionOption = None,
    follow_up: Annotated[
        bool,
        typer.Option(
            "--follow-up",
            help="The follow-up note instead (what 'thanknote followup' would "
            "send next, and what it replies to).",
        ),
    ] = False,
) -> None:
    """Render every note and run every check. Sends nothing; needs no account."""
    from thanknote import preview as previewing

    options = _guards(max_similarity, allow_similar, allow_mention)
    result = previewing.preview(
        file, template=template, db=db, options=options, out=out, follow_up=follow_up
    )
    if as_json:
        print_json(result.as_json())
    else:
        typer.echo(result.as_text())
    if not result.report.ok:
        from thanknote.checks import refusal_message

        typer.echo(f"thanknote: {refusal_message(result.report)}", err=True)
        raise typer.Exit(GuardRefusal.exit_code)


@guarded
def draft(
    file: FileArgument,
    dry_run: DryRunOption = False,
    template: TemplateOption = None,
    db: DbOption = None,
    only: OnlyOption = None,
    resend: ResendOption = None,
    max_similarity: MaxSimilarityOption = 0.5,
    allow_similar: AllowSimilarOption = False,
    allow_mention: AllowMentionOption = None,
) -> None:
    """Create one Gmail draft per interviewer (to read once more and send yourself)."""
    from thanknote import clock, planning

    request = _request(
        file,
        Channel.GMAIL,
        Purpose.DRAFT,
        template,
        db,
        only,
        resend,
        _guards(max_similarity, allow_similar, allow_mention),
    )
    _deliver(planning.plan(request, clock.now()), settings=None, yes=True, dry_run=dry_run)


@guarded
@smtp_options()
def send(
    file: FileArgument,
    via: Annotated[Channel, typer.Option("--via", help="smtp or gmail.", show_default=False)],
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    template: TemplateOption = None,
    db: DbOption = None,
    only: OnlyOption = None,
    resend: ResendOption = None,
    max_similarity: MaxSimilarityOption = 0.5,
    allow_similar: AllowSimilarOption = False,
    allow_mention: AllowMentionOption = None,
    *,
    smtp: SmtpOptions,
) -> None:
    """Send one message per interviewer, by SMTP or through Gmail.

    The SMTP password comes from THANKNOTE_SMTP_PASSWORD, the system keyring ('thanknote
    login smtp') or a hidden prompt; Outlook and Microsoft 365 sign in with OAuth instead.
    """
    from thanknote import clock, planning

    request = _request(
        file,
        via,
        Purpose.SEND,
        template,
        db,
        only,
        resend,
        _guards(max_similarity, allow_similar, allow_mention),
    )
    settings = smtp.settings() if via == Channel.SMTP else None  # bad options: exit 2 first
    _deliver(planning.plan(request, clock.now()), settings=settings, yes=yes, dry_run=dry_run)


@guarded
@smtp_options()
def followup(
    file: FileArgument,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Write to this address instead of the file's follow_up_with.",
            show_default=False,
        ),
    ] = None,
    via: Annotated[
        Channel | None,
        typer.Option(
            "--via",
            help="gmail or smtp. Default: the channel of this interview's thank-you notes.",
            show_default=False,
        ),
    ] = None,
    as_draft: Annotated[
        bool, typer.Option("--draft", help="Create a Gmail draft instead of sending.")
    ] = False,
    early: Annotated[
        bool, typer.Option("--early", help="Follow up before the follow-up's date.")
    ] = False,
    resend: Annotated[
        bool,
        typer.Option(
            "--resend",
            help="Deliver again a follow-up that was drafted or may have gone out "
            "(never a third one).",
        ),
    ] = False,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            help="The follow-up template (default: the shipped follow-up.txt).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    *,
    smtp: SmtpOptions,
) -> None:
    """Write and deliver the follow-up note to follow_up_with, as a reply to their thank-you.

    On or after the follow-up date; a second one is fair seven days after the first, and
    then the protocol stops (a third is refused). The recipient gets a personal greeting
    when they are one of the interviewers, a neutral one otherwise (a recruiter).
    """
    from thanknote import clock, planning
    from thanknote.followups.note import FollowUpOptions, delivery_mode

    channel, purpose = delivery_mode(via, as_draft)
    settings = smtp.settings() if channel == Channel.SMTP else None  # bad options: exit 2 first
    request = planning.Request(
        path=file,
        via=channel,
        purpose=purpose,
        template=template,
        db=db,
        follow_up=FollowUpOptions(to=to, early=early, resend=resend),
    )
    plan = planning.plan(request, clock.now())
    if settings is None and plan.via == Channel.SMTP:  # the channel of the thank-you notes
        settings = smtp.settings()
    _deliver(plan, settings=settings, yes=yes, dry_run=dry_run)


def _deliver(plan: Plan, *, settings: SmtpSettings | None, yes: bool, dry_run: bool) -> None:
    """The end that draft, send and followup share: say, run the session, report."""
    from thanknote import session

    print_checked(plan)
    shown = session.banner_for(plan, settings)
    if dry_run:
        print_plan(plan, shown.lines)
    result = session.deliver(
        plan,
        smtp=settings,
        password=ask_password,
        confirm=None if yes else confirm,
        attended=sys.stdin.isatty(),
        dry_run=dry_run,
        notice=lambda line: typer.echo(line, err=True),
        progress=lambda total: Progress(total, live=not dry_run),
        shown=shown,
    )
    print_result(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)
