"""The locks the README's commands install from agree with the ranges they were generated from:
every direct requirement is pinned, at a version its range allows, with hashes. Catches a range
changed in ``requirements*.txt`` without ``bash scripts/lock.sh``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
PAIRS = [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock"),
         ("bench/requirements-lifetimes.in", "bench/requirements-lifetimes.lock")]


def ranges(path: Path) -> list[Requirement]:
    out: list[Requirement] = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            out += ranges(path.parent / line[3:].strip())
        else:
            out.append(Requirement(line))
    return out


def pins(path: Path) -> dict[str, list[Version]]:
    """name -> pinned versions (a universal lock may pin one package twice, per Python version)."""
    out: dict[str, list[Version]] = {}
    text = path.read_text()
    for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, flags=re.M):
        out.setdefault(canonicalize_name(m.group(1)), []).append(Version(m.group(2)))
    return out


@pytest.mark.parametrize(("source", "lock"), PAIRS)
def test_lock_pins_every_range(source: str, lock: str) -> None:
    pinned = pins(REPO / lock)
    assert pinned, f"{lock} pins nothing"
    for req in ranges(REPO / source):
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req.name} is in {source} but not in {lock}: run bash scripts/lock.sh"
        for version in pinned[name]:
            assert req.specifier.contains(version, prereleases=True), \
                f"{lock} pins {req.name}=={version}, outside {source}'s {req.specifier}: run bash scripts/lock.sh"


@pytest.mark.parametrize("lock", [lock for _, lock in PAIRS])
def test_every_pin_has_hashes(lock: str) -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", (REPO / lock).read_text())
    entries = [b for b in blocks if re.match(r"[A-Za-z0-9_.\-]+==", b)]
    assert entries
    for block in entries:
        assert "--hash=sha256:" in block, f"{lock}: {block.splitlines()[0]} has no hash"
