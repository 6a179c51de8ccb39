"""Getting started: ``init`` writes an interview file, ``doctor`` checks the setup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thanknote.cli.options import SmtpOptions, smtp_options
from thanknote.cli.output import ask_password, guarded, print_json
from thanknote.errors import BadInput
from thanknote.values import Channel


@guarded
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the interview file.")] = Path(
        "interview.toml"
    ),
    invites: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            help="Build the file from this calendar invitation (.ics, or an .eml that "
            "carries one); repeat for each session of one interview.",
            show_default=False,
        ),
    ] = None,
    me: Annotated[
        str | None,
        typer.Option(
            "--me",
            help="Your address in the invitation (default: your profile's, else the only "
            "address whose domain matches nobody else's).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write a commented interview file: the example, or one built from calendar invitations.

    Refuses to overwrite. With a profile (thanknote profile set), [candidate] is left out.
    """
    from thanknote import interview_writer as writer
    from thanknote import profile as profiles

    writer.refuse_existing(path)
    profile = profiles.load_profile()
    profile_file = profiles.profile_path()
    if invites:
        from thanknote import clock

        made = writer.from_invites(
            invites, target=path, me=me, profile=profile, profile_file=profile_file, now=clock.now()
        )
        writer.write_new(path, made.text)
        typer.echo(
            f"wrote {path}: {made.interviewers} interviewer(s)"
            + (f", {len(made.left_out)} left out" if made.left_out else "")
            + f"; fill in its {made.placeholders} <...> placeholder(s), then run: "
            f"thanknote preview {path}"
        )
        return
    if me is not None:
        raise BadInput("--me only applies with --from INVITE")
    from thanknote.example import example_for

    text = example_for(str(path))
    if profile is not None:
        text = writer.without_candidate(text, profile_file)
    writer.write_new(path, text)
    typer.echo(f"wrote {path}; edit it, then run: thanknote preview {path}")


@guarded
@smtp_options(host_default=None, host_help="SMTP server. Default: smtp.gmail.com.")
def doctor(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="An interview file: its From address and follow-up date are checked too.",
            show_default=False,
        ),
    ] = None,
    via: Annotated[
        Channel | None,
        typer.Option(
            "--via",
            help="smtp or gmail. Default: every channel that is set up.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
    *,
    smtp: SmtpOptions,
) -> None:
    """Check, sending nothing, that delivery would work now and on the follow-up date.

    Exit 0 when nothing is a problem, 1 when a check failed, 2 for bad input.
    """
    from thanknote import clock
    from thanknote import doctor as doctoring

    settings = None
    if via == Channel.SMTP or (via is None and smtp.host is not None):
        settings = smtp.settings()
    report = doctoring.run(
        via=via, path=file, smtp=settings, ask_password=ask_password, now=clock.now()
    )
    if as_json:
        print_json(report.as_json())
    else:
        typer.echo(report.as_text())
    raise typer.Exit(report.exit_code)
