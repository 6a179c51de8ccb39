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
follow_up_with = "recruiter@analytical.example"
# Why you fit the role, with a concrete example: shared by every note unless an
# interviewer has their own.
fit = """My five years running Postgres for a payments company map closely onto \
what you described: last year I led the move of our ledger to logical \
replication with zero downtime."""
# Something you forgot to say or wish you had added (optional).
new_information = """I also maintain an open-source library for idempotent \
webhooks, which touches the retry problems you mentioned."""

# One table per interviewer. The conversation point is what makes each note
# personal: a sentence about what you discussed with this person.
[[interviewers]]
name = "Grace Hopper"
email = "grace@analytical.example"
title = "Engineering Manager"             # optional
conversation_point = "your plan to move billing onto an event log, and how you want to replay a month of invoices to test it"

[[interviewers]]
name = "Alan Turing"
email = "alan@analytical.example"
title = "Staff Engineer"
conversation_point = "the flaky settlement tests and your idea of recording production traffic to drive them"
# An interviewer can have their own fit, new_information or template:
# fit = "..."
# template = "notes/alan.txt"            # relative to this file
'''
