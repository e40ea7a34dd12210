"""``zdt lint --changed-since REF``: which files git says changed since a ref, untracked ones included.

Runs ``git diff --name-only REF`` (the working tree against REF: committed, staged and unstaged changes)
and ``git ls-files --others --exclude-standard`` in the repository containing each target.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


class ChangedFilesError(Exception):
    """git could not say what changed: not a repository, an unknown ref, or no git at all."""


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(directory), *args], capture_output=True, text=True, check=False, timeout=60
    )


def _toplevel(target: Path) -> Path:
    directory = target if target.is_dir() else target.parent
    result = _git(directory, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise ChangedFilesError(f"--changed-since: {target} is not in a git repository")
    return Path(result.stdout.strip()).resolve()


def _names(output: str) -> list[str]:
    return [name for name in output.split("\0") if name]


def changed_files(targets: list[Path], ref: str) -> set[Path]:
    """Resolved paths of the files changed since ``ref`` (or untracked) in the targets' repositories."""
    if shutil.which("git") is None:
        raise ChangedFilesError("--changed-since needs git, and git is not on the PATH")
    if ref.startswith("-"):
        raise ChangedFilesError(f"--changed-since: {ref!r} is not a git ref")
    changed: set[Path] = set()
    for top in dict.fromkeys(_toplevel(target) for target in targets):
        verified = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if verified.returncode != 0:
            raise ChangedFilesError(f"--changed-since: unknown git ref {ref!r} in {top}")
        diff = _git(top, "diff", "--name-only", "-z", ref, "--")
        untracked = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
        for result in (diff, untracked):
            if result.returncode != 0:
                raise ChangedFilesError(f"--changed-since: git failed in {top}: {result.stderr.strip()}")
            changed |= {(top / name).resolve() for name in _names(result.stdout)}
    return changed
