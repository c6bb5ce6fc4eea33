"""The Docker build context: the project folder minus what .dockerignore leaves out, copied as Docker does.

Shared by the Dockerfile's replay (tests/crm/test_dockerfile.py) and the production smoke test
(tests/e2e/test_production_smoke.py), so that both start from what an image would hold."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ignore_patterns() -> list[tuple[bool, str]]:
    patterns = []
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            patterns.append((negated, line.lstrip("!").strip("/")))
    return patterns


def glob(pattern: str) -> re.Pattern:
    """A .dockerignore pattern (Go's filepath.Match, plus ** for any number of folders) as a regex."""
    regex, index = "", 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            regex, index = regex + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            regex, index = regex + ".*", index + 2
        elif pattern[index] == "*":
            regex, index = regex + "[^/]*", index + 1
        elif pattern[index] == "?":
            regex, index = regex + "[^/]", index + 1
        else:
            regex, index = regex + re.escape(pattern[index]), index + 1
    return re.compile(regex + r"\Z")


def pattern_matches(pattern: str, relative: str) -> bool:
    """Docker's rule: a pattern matches a path, or a folder above it (whose contents are then left out too)."""
    parts = relative.split("/")
    return any(glob(pattern).match("/".join(parts[:end])) for end in range(1, len(parts) + 1))


def ignored(relative: str, patterns) -> bool:
    excluded = False
    for negated, pattern in patterns:
        if pattern_matches(pattern, relative):
            excluded = not negated
    return excluded


def copy_context(destination: Path, sources: list[str]) -> None:
    """COPY from the build context (the project folder minus .dockerignore) into destination, as root."""
    patterns = ignore_patterns()
    for source in sources:
        if source != ".":
            shutil.copy2(ROOT / source, destination / Path(source).name)
            continue
        for folder, folders, files in os.walk(ROOT):
            relative_folder = Path(folder).relative_to(ROOT).as_posix()
            prefix = "" if relative_folder == "." else relative_folder + "/"
            folders[:] = [name for name in folders if not ignored(prefix + name, patterns)]
            for name in files:
                if not ignored(prefix + name, patterns):
                    target = destination / prefix / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(Path(folder) / name, target)
