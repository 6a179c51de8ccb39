"""The guards: identical, name-swapped and near-identical bodies, in a batch and against the log."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import write_interview
from thanknote import guards
from thanknote.guards import (
    IDENTICAL,
    NAME_SWAPPED,
    SIMILAR,
    PooledNote,
    near_identical,
    pair_similarity,
    run_checks,
)
from thanknote.loader import load
from thanknote.render import render_notes

LONG_FIT = " ".join(
    [
        "I have spent five years running Postgres clusters for a payments company,"
        " leading migrations, on-call and capacity planning for the ledger."
    ]
    * 4
)


def note(
    to: str, body: str, name: str = "", title: str | None = None, new: bool = True
) -> PooledNote:
    return PooledNote(to=to, name=name or to.split("@")[0].title(), title=title, body=body, new=new)


def other(refusal: guards.Refusal) -> PooledNote:
    """The second note of a refused pair (the checks these tests run refuse pairs)."""
    assert refusal.second is not None, refusal
    return refusal.second


def refused(report: guards.GuardReport) -> set[tuple[str, str, str]]:
    return {(r.check, r.first.to, other(r).to) for r in report.refusals}


def test_identical_after_case_and_spacing() -> None:
    report = run_checks(
        [
            note("a@x.example", "Thank you  for the chat.\n"),
            note("b@x.example", "thank you for\nthe chat."),
        ]
    )
    assert refused(report) == {(IDENTICAL, "a@x.example", "b@x.example")}


def test_identical_is_not_overridden_by_allow_similar() -> None:
    report = run_checks(
        [note("a@x.example", "Same"), note("b@x.example", "Same")], allow_similar=True
    )
    assert not report.ok and SIMILAR in report.skipped


def test_name_swapped_greeting_refused() -> None:
    body = "Dear {},\n\nThank you for your time today. It was great to meet you, {}.\n"
    report = run_checks(
        [
            note(
                "grace@x.example",
                body.format("Grace Hopper", "Grace"),
                "Grace Hopper",
                "Engineering Manager",
            ),
            note("alan@x.example", body.format("Alan", "Alan Turing"), "Alan Turing"),
        ]
    )
    assert refused(report) == {(NAME_SWAPPED, "grace@x.example", "alan@x.example")}


def test_name_swap_with_title_and_address() -> None:
    body = "Hi {name} ({title}, {email}): thanks for the interview about the platform team."
    report = run_checks(
        [
            note(
                "grace@x.example",
                body.format(name="Grace", title="Engineering Manager", email="grace@x.example"),
                "Grace Hopper",
                "Engineering Manager",
            ),
            note(
                "alan@x.example",
                body.format(name="Alan", title="CTO", email="alan@x.example"),
                "Alan Turing",
                "CTO",
            ),
        ]
    )
    assert NAME_SWAPPED in {r.check for r in report.refusals}


def test_personal_conversation_points_pass_even_with_long_shared_paragraphs(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview={"fit": LONG_FIT, "new_information": LONG_FIT})
    notes = render_notes(load(path))
    report = run_checks([note(n.to, n.body, n.name, n.title) for n in notes])
    assert report.ok, report.refusals


def test_a_one_sentence_point_is_enough() -> None:
    template = "Dear {}, thanks. " + LONG_FIT + " I enjoyed talking about {}. Best, Ada"
    report = run_checks(
        [
            note(
                "a@x.example", template.format("Ann", "your plan to rebuild the billing pipeline")
            ),
            note("b@x.example", template.format("Bob", "the way the team runs incident reviews")),
        ]
    )
    assert report.ok, report.refusals


def test_few_words_changed_refused() -> None:
    template = "Dear {}, thanks. " + LONG_FIT + " I enjoyed talking about {}. Best, Ada"
    report = run_checks(
        [
            note(
                "a@x.example",
                template.format("Ann", "your plan to rebuild the billing pipeline"),
                "Ann Lee",
            ),
            note(
                "b@x.example",
                template.format("Bob", "your plan to rebuild the search pipeline"),
                "Bob Ray",
            ),
        ]
    )
    assert refused(report) == {(SIMILAR, "a@x.example", "b@x.example")}
    (refusal,) = report.refusals
    assert refusal.score == 0.9 and "--allow-similar" in refusal.reason


def test_allow_similar_and_max_similarity() -> None:
    first = "Thanks for the chat about the billing pipeline and the ledger."
    second = "Thanks for the chat about the search pipeline and the ledger."
    pair = [note("a@x.example", first), note("b@x.example", second)]
    assert not run_checks(pair).ok
    assert run_checks(pair, allow_similar=True).ok
    assert run_checks(pair, max_similarity=0.95).ok  # one word of its own: similarity 0.9


def test_similarity_measure() -> None:
    assert pair_similarity("a b c d", "a b c d") == 1.0
    assert pair_similarity("a b c d", "a b c e") == 0.9
    assert pair_similarity("x " * 3 + "common", "y " * 7 + "common") == 0.7  # min(3, 7)
    assert pair_similarity("common p q r s t u v w x y z", "common a b c d e f g h i j k") == 0.0
    # Masked names do not count as words of one's own.
    assert pair_similarity("Dear Grace, hello", "Dear Alan, hello", ["Grace", "Alan"]) == 1.0


def test_history_notes_are_compared() -> None:
    sent = note(
        "grace@x.example", "I enjoyed our talk about the billing event log, truly.", new=False
    )
    new = note("alan@x.example", "I enjoyed our talk about the billing event log, truly.")
    report = run_checks([new], [sent])
    assert refused(report) == {(IDENTICAL, "alan@x.example", "grace@x.example")}
    assert "already in the send log" in other(report.refusals[0]).describe()


def test_resend_is_not_compared_with_its_own_history() -> None:
    body = "I enjoyed our talk about the billing event log, truly."
    report = run_checks([note("grace@x.example", body)], [note("grace@x.example", body, new=False)])
    assert report.ok


def test_history_pairs_alone_are_not_reported() -> None:
    same = "the same note sent twice long ago to two people"
    old = [note("a@x.example", same, new=False), note("b@x.example", same, new=False)]
    new = note("c@x.example", "something entirely different here, a note with its own words")
    assert run_checks([new], old).ok


# -- properties ------------------------------------------------------------------------------

names = st.from_regex(r"[A-Z][a-z]{1,9}( [A-Z][a-z]{1,9}){0,2}", fullmatch=True)
words = st.from_regex(r"[a-z]{2,9}", fullmatch=True)


@given(
    template=st.lists(words, min_size=3, max_size=30),
    slot=st.integers(0, 30),
    first=names,
    second=names,
)
def test_bodies_differing_only_in_recipient_names_are_refused(
    template: list[str], slot: int, first: str, second: str
) -> None:
    def body(name: str) -> str:
        parts = list(template)
        parts.insert(slot % (len(parts) + 1), name)
        return "Dear " + name + ", " + " ".join(parts) + "."

    report = run_checks(
        [note("one@x.example", body(first), first), note("two@x.example", body(second), second)]
    )
    assert {r.check for r in report.refusals} & {IDENTICAL, NAME_SWAPPED}


@given(base=st.lists(words, min_size=8, max_size=80), data=st.data())
def test_bodies_differing_by_a_few_words_are_refused(base: list[str], data: st.DataObject) -> None:
    changed = list(base)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(changed) - 1))
        old = changed[index]

        def differs(word: str, old: str = old) -> bool:
            return word != old

        changed[index] = data.draw(words.filter(differs)) + "q"
    report = run_checks(
        [note("one@x.example", " ".join(base)), note("two@x.example", " ".join(changed))]
    )
    assert not report.ok


def brute_force(pool: list[PooledNote], max_similarity: float) -> set[tuple[str, str]]:
    terms = guards._recipient_terms(pool)
    sets = [guards._words_of(guards.masked_tokens(n.body, terms)) for n in pool]
    limit = 10 * (1 - max_similarity)
    found = set()
    for i, j in itertools.combinations(range(len(pool)), 2):
        distinct = min(len(sets[i] - sets[j]), len(sets[j] - sets[i]))
        if distinct < limit - 1e-9 and (pool[i].new or pool[j].new):
            found.add((pool[i].to, pool[j].to))
    return found


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    count=st.integers(2, 12),
    vocabulary=st.integers(3, 30),
    max_similarity=st.sampled_from([0.0, 0.3, 0.5, 0.8]),
)
def test_prefix_filter_finds_exactly_the_pairs_brute_force_finds(
    seed: int, count: int, vocabulary: int, max_similarity: float
) -> None:
    rng = random.Random(seed)
    shared = " ".join(f"shared{rng.randrange(50)}" for _ in range(rng.randrange(0, 20)))
    pool = []
    for index in range(count):
        own = " ".join(f"w{rng.randrange(vocabulary)}" for _ in range(rng.randrange(0, 12)))
        pool.append(
            note(
                f"p{index}@x.example",
                f"{shared} {own}",
                name=f"Person{index}",
                new=rng.random() < 0.8,
            )
        )
    found = {(r.first.to, other(r).to) for r in near_identical(pool, max_similarity)}
    assert found == brute_force(pool, max_similarity)


def test_a_thousand_personal_notes_pass_and_one_planted_copy_is_found() -> None:
    rng = random.Random(7)
    vocabulary = [f"topic{i}" for i in range(5000)]
    pool = [
        note(
            f"p{i}@x.example",
            f"Dear Person{i}, thanks. {LONG_FIT} We talked about "
            + " ".join(rng.sample(vocabulary, 8))
            + ".",
            name=f"Person{i}",
        )
        for i in range(1000)
    ]
    assert run_checks(pool).ok
    copy = pool[10].body.replace("Person10", "Person1000")
    pool.append(note("p1000@x.example", copy, name="Person1000"))
    report = run_checks(pool)
    assert refused(report) == {(NAME_SWAPPED, "p10@x.example", "p1000@x.example")}
