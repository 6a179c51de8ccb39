"""The inputs of ``bench/preview.py``: N distinct interviewers, written for both tools.

``interviewers(n)`` invents N people (names from two lists, a conversation point
each that differs from every other's in at least six words; see the comment on
``SENTENCE``); ``write_interview`` writes them as a thanknote interview file and
``write_mailmerge`` as mailmerge's template, CSV database and server config,
producing the same bodies.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

# After the interview ended and within the 24 hours the protocol allows, so
# preview prints no timing warning and the run does not depend on today's date.
NOW = "2026-11-25T18:00:00-05:00"

CANDIDATE = ("Ada Lovelace", "ada@example.com")
COMPANY, ROLE = "Analytical Engines Ltd", "Senior Backend Engineer"
FIT = (
    "My five years running Postgres for a payments company map closely onto what you "
    "described: last year I led the move of our ledger to logical replication with zero "
    "downtime."
)
NEW_INFORMATION = (
    "I also maintain an open-source library for idempotent webhooks, which "
    "touches the retry problems you mentioned."
)

# -- realistic, distinct interviewers -------------------------------------------------------

FIRST_NAMES = (
    "Grace",
    "Alan",
    "Barbara",
    "Edsger",
    "Frances",
    "Donald",
    "Margaret",
    "Dennis",
    "Radia",
    "Ken",
    "Sophie",
    "Leslie",
    "Hedy",
    "Claude",
    "Katherine",
    "Niklaus",
    "Lynn",
    "Tony",
    "Adele",
    "Butler",
    "Jean",
    "Fernando",
    "Shafi",
    "Whitfield",
    "Karen",
    "Robin",
    "Ivan",
    "Evelyn",
    "Seymour",
    "Annie",
    "Vint",
    "Marian",
)
LAST_NAMES = (
    "Hopper",
    "Turing",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Knuth",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Thompson",
    "Wilson",
    "Lamport",
    "Lamarr",
    "Shannon",
    "Johnson",
    "Wirth",
    "Conway",
    "Hoare",
    "Goldberg",
    "Lampson",
    "Sammet",
    "Corbato",
    "Goldwasser",
    "Diffie",
    "Sparck",
    "Milner",
    "Sutherland",
    "Berezin",
    "Papert",
    "Easley",
    "Cerf",
    "Croarken",
    "Engelbart",
    "Kahan",
)
TITLES = (
    "Engineering Manager",
    "Staff Engineer",
    "Principal Engineer",
    "Recruiter",
    "Director of Platform",
    "Tech Lead",
    None,
)

# A conversation point is a sentence with eight slots. Slot k of interviewer i
# holds word number (a + b*k + c*k^2) mod P of its own list, where (a, b, c) are
# the base-P digits of i: two different quadratics agree at two points at most,
# so any two interviewers differ in at least 8 - 2 = 6 slots, and since the
# lists share no word (nor any name or title word, which the guards mask) that
# is six words of its own per note: more than the five the default
# --max-similarity asks for, and few enough to stay a realistic sentence.
P = 11
SENTENCE = "your {0} to {1} the {2} {3} before the {4}, and how the {5} team would {6} it with {7}"
SLOTS = (
    "plan idea proposal push pilot roadmap experiment prototype spike rewrite overhaul",
    "move shard rebuild replicate partition archive compress stream throttle backfill deduplicate",
    "billing ledger invoicing payroll settlement refunds checkout search inventory "
    "shipping pricing",
    "database queue cache pipeline scheduler gateway service cluster index warehouse workers",
    "holidays launch audit freeze renewal offsite migration deadline rollout quarter summer",
    "data mobile security fraud growth analytics support finance compliance reliability tooling",
    "test verify monitor benchmark canary rehearse measure validate observe stage simulate",
    "replayed traffic, synthetic load, shadow reads, feature flags, chaos drills, "
    "golden files, property tests, contract tests, load generators, diff reports, "
    "traffic mirroring",
)
SLOT_WORDS = tuple(
    tuple(w.strip() for w in (s.split(",") if "," in s else s.split())) for s in SLOTS
)


def check_vocabulary() -> None:
    """The distance argument above holds only if these hold; fail before timing anything."""
    seen: set[str] = set()
    reserved = {w.casefold() for w in FIRST_NAMES + LAST_NAMES}
    reserved |= {w.casefold() for t in TITLES if t for w in t.split()}
    for words in SLOT_WORDS:
        assert len(words) == P and len(set(words)) == P, words
        tokens = {t for w in words for t in re.findall(r"\w+", w.casefold())}
        assert not tokens & seen and not tokens & reserved, tokens & (seen | reserved)
        seen |= tokens


def conversation_point(i: int) -> str:
    a, b, c = i % P, i // P % P, i // (P * P)
    return SENTENCE.format(
        *(SLOT_WORDS[k][(a + b * k + c * k * k) % P] for k in range(len(SLOT_WORDS)))
    )


def interviewers(n: int) -> list[dict[str, str]]:
    if n > P**3 or n > len(FIRST_NAMES) * len(LAST_NAMES):
        raise SystemExit(
            f"bench: at most {min(P**3, len(FIRST_NAMES) * len(LAST_NAMES))} "
            "distinct interviewers can be generated"
        )
    people = []
    for i in range(n):
        # Walk first and last names at different strides so neighbours look unrelated.
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = LAST_NAMES[(i + i // len(FIRST_NAMES)) % len(LAST_NAMES)]
        person = {
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}.{i}@analytical.example",
            "conversation_point": conversation_point(i),
        }
        if (title := TITLES[i % len(TITLES)]) is not None:
            person["title"] = title
        people.append(person)
    return people


# -- inputs -------------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_interview(path: Path, people: list[dict[str, str]]) -> None:
    lines = [
        "[candidate]",
        f"name = {_toml_string(CANDIDATE[0])}",
        f"email = {_toml_string(CANDIDATE[1])}",
        "",
        "[interview]",
        f"company = {_toml_string(COMPANY)}",
        f"role = {_toml_string(ROLE)}",
        "starts_at = 2026-11-25T14:00:00-05:00",
        "follow_up_on = 2026-12-07",
        f"fit = {_toml_string(FIT)}",
        f"new_information = {_toml_string(NEW_INFORMATION)}",
    ]
    for person in people:
        lines += ["", "[[interviewers]]"]
        lines += [f"{key} = {_toml_string(value)}" for key, value in person.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# The same note as thanknote's default template (templates/thank-you.txt), as a
# mailmerge user would write it: the shared paragraphs and the interview's
# details typed into the template, the per-person fields in the CSV.
MAILMERGE_TEMPLATE = f"""\
TO: "{{{{name}}}}" <{{{{email}}}}>
SUBJECT: {ROLE} interview: thank you, {{{{first_name}}}}
FROM: {CANDIDATE[0]} <{CANDIDATE[1]}>

Dear {{{{first_name}}}},

Thank you for interviewing me on Wednesday for the {ROLE} role at {COMPANY}, and for our \
conversation about {{{{conversation_point}}}}.

{FIT}

{NEW_INFORMATION}

If I haven't heard back by Monday, December 7, I'll follow up then. In the meantime, please \
let me know if there is anything else I can share.

Best regards,
{CANDIDATE[0]}
"""

# mailmerge reads its server config even with --dry-run (a dry run returns
# before connecting). No security means no username and no password prompt,
# and a loopback discard port means nothing could leave the machine anyway.
MAILMERGE_CONFIG = """\
[smtp_server]
host = 127.0.0.1
port = 9
ratelimit = 0
"""


def write_mailmerge(folder: Path, people: list[dict[str, str]]) -> tuple[Path, Path, Path]:
    template, database, config = (
        folder / "mailmerge_template.txt",
        folder / "mailmerge_database.csv",
        folder / "mailmerge_server.conf",
    )
    template.write_text(MAILMERGE_TEMPLATE, encoding="utf-8")
    config.write_text(MAILMERGE_CONFIG, encoding="utf-8")
    buffer = io.StringIO()
    # Quote every field: mailmerge sniffs the dialect from the first kilobyte,
    # and the commas inside conversation points must not look like delimiters.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["email", "name", "first_name", "conversation_point"])
    for person in people:
        writer.writerow(
            [
                person["email"],
                person["name"],
                person["name"].split()[0],
                person["conversation_point"],
            ]
        )
    database.write_text(buffer.getvalue(), encoding="utf-8")
    return template, database, config
