"""What tier a TWLV-I page is, said once for every page.

Tiers (``repro.core.artifacts.TIERS``): *mechanism* (synthetic data, offline), *paper*
(the released TWLV-I embeddings), *rehearsal* (the paper path run on tiny stand-in files
in the release format, written by :func:`repro.twlv.standins.write_standins`; its numbers
mean nothing) and *reported* (the paper's own numbers, re-rendered).
"""

from __future__ import annotations

import os

from repro.core.artifacts import PROFILE_ENV

REHEARSAL_PROFILE = "rehearsal"

TIER_WORDS = {
    "mechanism": "mechanism reproduction on synthetic data, not the paper's numbers",
    "paper": "paper tier, released TWLV-I embeddings",
    "rehearsal": "rehearsal on stand-in data: tiny random files in the release format, "
    "numbers meaningless",
    "reported": "reported numbers, re-rendered, nothing recomputed",
}

TIER_PARAGRAPHS = {
    "mechanism": (
        "**Tier: mechanism reproduction on synthetic data (offline) — not the paper's "
        "numbers.** Procedurally generated videos stand in for K400/MiT (an appearance task: "
        "which sprite) and SSv2/Diving48 (a motion task: which way it moves), and small "
        "label-blind encoders stand in for the video foundation models. Read the results as "
        "an illustration of the mechanism the paper describes; no number here is comparable "
        "with the paper's tables."
    ),
    "paper": (
        "**Tier: paper — the released TWLV-I embeddings.** The linear probe is an *offline* "
        "probe on fixed embeddings; the paper probes online with augmented views of the "
        "videos, which fixed embeddings cannot give, so its Table 3 numbers are an upper "
        "reference, not a target we should hit exactly."
    ),
    "rehearsal": (
        "**Tier: REHEARSAL on stand-in data.** This page was built by the `rehearsal` "
        "profile, with sizes shrunk and, for the released embeddings, tiny random files "
        "written in the exact release format (`repro.twlv.standins`). It checks that the "
        "paper path runs end to end; every number on it is meaningless and must not be "
        "compared with the paper."
    ),
    "reported": (
        "**Tier: reported numbers, re-rendered from the transcription in `reported/` — "
        "nothing here is recomputed.**"
    ),
}


def is_rehearsal() -> bool:
    """Whether the pipeline runs this notebook under the ``rehearsal`` profile."""
    return os.environ.get(PROFILE_ENV) == REHEARSAL_PROFILE


def page_tier(tier: str) -> str:
    """``tier``, or ``rehearsal`` under the rehearsal profile (shrunk sizes, stand-in data)."""
    return "rehearsal" if is_rehearsal() else tier


def benchmark_tier(data_source: str) -> str:
    """``mechanism`` for synthetic data, ``paper`` for the release; ``rehearsal`` under it."""
    return page_tier("mechanism" if data_source == "synthetic" else "paper")


def tier_words(tier: str) -> str:
    """A short parenthetical for captions."""
    return TIER_WORDS[tier]


def tier_paragraph(tier: str) -> str:
    """The Markdown paragraph a page shows at its top (with the rehearsal warning if it is one).

    A page whose artifacts keep their own tier (the reported tables stay the paper's
    numbers) still says plainly, under the rehearsal profile, that it is a rehearsal build.
    """
    text = TIER_PARAGRAPHS[tier]
    if is_rehearsal() and tier != "rehearsal":
        text = TIER_PARAGRAPHS["rehearsal"] + "\n\n" + text
    return text
