"""``codex-lsp exec review``: what to review (``--uncommitted``, ``--base``, ``--commit``, or
instructions), the findings as a person reads them, and whether they fail the run
(``--fail-on``: a finding of that priority or a more urgent one)."""

from __future__ import annotations

import argparse
from typing import TextIO

from pydantic import ValidationError

from codex_lsp.errors import ConfigError
from codex_lsp.protocol.items import ReviewFinding, ReviewOutput, ReviewRequest, ReviewTarget
from codex_lsp.protocol.ops import ReviewOp


def review_op(args: argparse.Namespace, instructions: str | None) -> ReviewOp:
    """The review the flags ask for; a bad branch or commit, or a flag that has no meaning for
    a review, is a :class:`ConfigError`."""
    for flag, value in (("--output-schema", args.output_schema), ("-i", args.images)):
        if value:
            raise ConfigError(
                f"{flag} does not apply to exec review: the reviewer answers with its findings; "
                "drop it"
            )
    try:
        if args.base:
            target = ReviewTarget(type="baseBranch", branch=args.base)
        elif args.commit:
            target = ReviewTarget(type="commit", sha=args.commit, title=args.title)
        elif instructions and not args.uncommitted:
            target = ReviewTarget(type="custom", instructions=instructions)
        else:
            target = ReviewTarget(type="uncommittedChanges")
    except ValidationError as exc:
        flag = "--base" if args.base else "--commit"
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{flag} {args.base or args.commit}: {problem}") from None
    return ReviewOp(review_request=ReviewRequest(target=target))


def blocking(review: ReviewOutput, fail_on: str) -> list[ReviewFinding]:
    """The findings at ``fail_on`` (``P0`` … ``P3``) or more urgent."""
    limit = int(fail_on.removeprefix("P"))
    return [f for f in review.findings if f.priority <= limit]


def print_review(review: ReviewOutput, out: TextIO) -> None:
    """The findings, most urgent first, then the verdict."""
    for f in sorted(review.findings, key=lambda f: f.priority):
        lines = f"{f.line_range.start}" + (
            f"-{f.line_range.end}" if f.line_range.end != f.line_range.start else ""
        )
        print(f"[P{f.priority}] {f.title}\n  {f.file}:{lines}", file=out)
        for line in f.body.splitlines():
            print(f"  {line}", file=out)
        print(file=out)
    verdict = "correct" if review.overall_correctness == "patchIsCorrect" else "incorrect"
    count = len(review.findings)
    print(
        f"{count} finding{'s' if count != 1 else ''}; patch is {verdict}. "
        f"{review.overall_explanation}".rstrip(),
        file=out,
    )
