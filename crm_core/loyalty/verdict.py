"""Which estimate of a program's effect to trust: two designs, each with a placebo test.

- **Not yet enrolled** (:mod:`crm_core.loyalty.staggered`): members against customers who
  join the same program later. Self-selection on what the history cannot show (a high
  underlying buying rate) cannot fake an effect, because the later joiners selected
  themselves the same way. Needs: joining time unrelated to the customer's own ups and downs.
- **Matched** (:mod:`crm_core.loyalty.estimate`): members against non-members with the same
  past months. Needs: members chose on what their past shows.

The placebo test runs each design again with every enrolment moved back before the real
one (``post + 1`` months), where the program cannot have had any effect: a credible design
gives about zero there (its 95% interval contains 0, or it is within ±2 points, and it is
no larger than the estimate's own margin of error). The page
trusts the not-yet-enrolled design when its placebo holds, else the matched one when its
placebo holds; when neither holds (or neither can be checked) no effect, ROI or payback is
shown as a result, and the page says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_core.loyalty.anchors import NO_BLOCKS, Blocks, Design
from crm_core.loyalty.estimate import MIN_MEMBERS, Estimate, estimate
from crm_core.loyalty.panel import NEVER, Panel, months_of
from crm_core.loyalty.staggered import Effect, not_yet_enrolled

__all__ = ["DESIGNS", "MAX_MARGIN", "PLACEBO_TOLERANCE", "Checked", "Verdict", "evaluate", "placebo_holds"]

DESIGNS: tuple[str, ...] = ("not_yet_enrolled", "matched")
PLACEBO_TOLERANCE = 0.02
MAX_MARGIN = 1.0          # a 95% margin wider than ±100 points says nothing: "imprecise"


@dataclass(frozen=True)
class Checked:
    """One design's estimate and its placebo (None: not enough members for it)."""

    effect: Effect | None
    placebo: Effect | None

    @property
    def state(self) -> str:
        """``credible``, ``failed`` (placebo away from zero), ``unchecked`` (no placebo
        possible: too little history before enrolments), ``imprecise`` (a 95% margin wider
        than ±100 points) or ``unavailable``."""
        if self.effect is None:
            return "unavailable"
        if (self.effect.lift_ci[1] - self.effect.lift_ci[0]) / 2 > MAX_MARGIN or not np.isfinite(self.effect.lift):
            return "imprecise"
        if self.placebo is None:
            return "unchecked"
        return "credible" if placebo_holds(self.effect, self.placebo) else "failed"


@dataclass(frozen=True)
class Verdict:
    """The designs side by side and the one trusted (None: no credible estimate)."""

    trusted: str | None
    reason: str                    # why: a key under loyalty.reason.* in the locales
    designs: dict[str, Checked]

    @property
    def effect(self) -> Effect | None:
        return None if self.trusted is None else self.designs[self.trusted].effect

    @property
    def placebo(self) -> Effect | None:
        return None if self.trusted is None else self.designs[self.trusted].placebo


def placebo_holds(effect: Effect, placebo: Effect) -> bool:
    """About zero: the placebo's 95% interval contains 0 (or it is within ±2 points), and it
    is no larger than the estimate's own 95% margin (a bias that size would change the
    answer; an imprecise placebo far from zero proves nothing)."""
    lo, hi = placebo.lift_ci
    near = lo <= 0 <= hi or abs(placebo.lift) <= PLACEBO_TOLERANCE
    margin = (effect.lift_ci[1] - effect.lift_ci[0]) / 2
    return bool(near and abs(placebo.lift) <= max(margin, PLACEBO_TOLERANCE))


def _choose(designs: dict[str, Checked]) -> Verdict:
    nye, matched = designs["not_yet_enrolled"], designs["matched"]
    if nye.state == "credible":
        return Verdict("not_yet_enrolled", "nye_credible", designs)
    if matched.state == "credible":
        why = {"failed": "matched_nye_failed", "unchecked": "matched_nye_unchecked",
               "imprecise": "matched_nye_imprecise", "unavailable": "matched_nye_unavailable"}[nye.state]
        return Verdict("matched", why, designs)
    if "failed" in (nye.state, matched.state):
        return Verdict(None, "placebo_failed", designs)
    if "unchecked" in (nye.state, matched.state):
        return Verdict(None, "unchecked", designs)
    if "imprecise" in (nye.state, matched.state):
        return Verdict(None, "imprecise", designs)
    return Verdict(None, "too_few", designs)


def evaluate(panel: Panel, cats: list[np.ndarray], members: pd.DataFrame, design: Design,
             blocks: Blocks = NO_BLOCKS) -> tuple[Estimate | None, Verdict]:
    """Both designs and their placebos for one program (``members``: code, enrolled_at, one
    row per code). Returns the matched estimate (its balance, event study and quality
    figures feed the page) and the verdict."""
    shift = design.post_months + 1
    matched = estimate(panel, cats, members, design, blocks)
    matched_placebo = (estimate(panel, cats, members, design, blocks, shift=shift, diagnostics=False)
                       if matched is not None else None)
    code = members["code"].to_numpy(np.int64)
    e = months_of(panel, members["enrolled_at"])
    enrol_m = np.full(panel.n, NEVER, dtype=np.int64)
    np.minimum.at(enrol_m, code, e)
    nye = nye_placebo = None
    if len(code) >= MIN_MEMBERS:
        nye = not_yet_enrolled(panel, code, e, enrol_m, design, blocks)
        if nye is not None:
            nye_placebo = not_yet_enrolled(panel, code, e, enrol_m, design, blocks, shift=shift)
    designs = {"not_yet_enrolled": Checked(nye, nye_placebo),
               "matched": Checked(None if matched is None else matched.effect(),
                                  None if matched_placebo is None else matched_placebo.effect())}
    return matched, _choose(designs)
