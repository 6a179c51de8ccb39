"""The commented example interview file that ``thanknote init`` writes.

``examples/interview.toml`` in the repository is the same text (a test keeps
them equal), so the README's first command previews exactly what ``init`` gives.
"""

EXAMPLE = r'''# A thanknote interview file: one file per interview.
# thanknote writes one personal thank-you note per interviewer from it.
# Preview the notes (nothing is sent, no account needed):
#     thanknote preview interview.toml

[candidate]
name = "Ada Lovelace"
email = "ada@example.com"                 # the From: address of every note
signature = """Ada Lovelace
+1 555 0100"""                            # optional; default: your name

[interview]
company = "Analytical Engines Ltd"
role = "Senior Backend Engineer"
# When it started: a date-time with its UTC offset, or a local date-time plus
# timezone = "America/New_York". A time with neither is an error.
starts_at = 2026-11-25T14:00:00-05:00
duration_minutes = 90                     # optional, default 60
# The date you promise to follow up if you have not heard back; optional,
# default: ten days after the interview.
follow_up_on = 2026-12-07
# Who gets the follow-up note (a recruiter or an interviewer); optional,
# default: the first interviewer.
follow_up_with = "tomas@analytical.example"
# Why you fit the role, with a concrete example: shared by the notes to the
# people you talked the work through with, unless one has their own.
fit = """My five years running Postgres for a payments company are close to \
this work: last year I led the move of our ledger to logical replication with \
zero downtime."""
# Something you forgot to say or wish you had added (optional; shared too).
new_information = """I also maintain an open-source library for idempotent \
webhooks, which handles the kind of retries a billing system lives with."""

# One table per person you met. Give each one something of their own: the
# conversation point, and where you can their own fit or new_information.
# A note that shares most of its sentences with another gets a warning.
#
# conversation_point is written one of three ways:
#   a phrase, no full stop:  "your plan to move billing onto an event log"
#       -> "... and for our conversation about your plan to move billing ..."
#   sentences ending in . or !, written into the note as they are:
#       "We talked about your plan to move billing onto an event log."
#   a question they asked you, ending in ?, quoted as theirs:
#       "How would you test a migration like that?"
#       -> "... and for asking me, "How would you test a migration like that?""
#
# relation (optional) shapes the note: "interviewer" (the default),
# "hiring-manager", "recruiter" or "coordinator". A recruiter or coordinator is
# thanked for arranging the day and guiding the process, and gets only their
# own fit and new_information. Without it, a title such as "Technical
# Recruiter" suggests one, and preview says what it assumed.
[[interviewers]]
name = "Grace Hopper"
email = "grace@analytical.example"
title = "Engineering Manager"             # optional
relation = "hiring-manager"
conversation_point = """We talked about your plan to move billing onto an \
event log, and how you want to replay a month of invoices to test it."""
fit = """I have run that kind of replay: ahead of our ledger migration we \
replayed six weeks of payments against the new schema and found two rounding \
bugs that no test had caught."""

[[interviewers]]
name = "Alan Turing"
email = "alan@analytical.example"
title = "Staff Engineer"
conversation_point = "How would you make the settlement tests stop failing at random?"
new_information = """Since then I have thought more about your question: \
recording a day of production traffic and replaying it in the test suite \
would catch most of the ordering bugs we talked about."""

[[interviewers]]
name = "Tomás Ruiz"
email = "tomas@analytical.example"
title = "Technical Recruiter"
relation = "recruiter"
conversation_point = """You walked me through the relocation package and the \
visa timeline, and answered every question I had about both."""
new_information = """I have checked with my current employer: I could start \
on the first of February, as you suggested, and my papers for the visa are \
ready to file."""
# An interviewer can also have their own template:
# template = "notes/alan.txt"            # relative to this file
'''


def example_for(path: str) -> str:
    """The example as ``init`` writes it at ``path``: its preview hint names that file."""
    return EXAMPLE.replace(
        "#     thanknote preview interview.toml", f"#     thanknote preview {path}", 1
    )
