"""Read every migration folder under a corpus of real repositories, the way their tools would.

Usage: ``python benchmarks/read_corpus.py [ROOT]`` (default ``/work/corpus``). Each top-level directory
of ROOT is one repository; the script finds the migration folders inside it (the directories some tool
other than plain SQL claims, not counting those inside an already-found folder), reads each with
``zdt.migrations.read_folder`` and prints the detected tool, the number of migrations and the first and
last version. A folder that fails to read is printed with its error and makes the exit status 1.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from zdt.migrations import MigrationFolderError, read_folder
from zdt.migrations.folder import detect_tool


def migration_folders(repository: Path) -> list[Path]:
    """Directories of ``repository`` a tool's layout claims, outermost only."""
    found: list[Path] = []
    for directory, subdirectories, _ in os.walk(repository):
        subdirectories.sort()
        path = Path(directory)
        try:
            tool = detect_tool(path)
        except MigrationFolderError:
            continue
        if tool != "plain":
            found.append(path)
            subdirectories.clear()  # a Prisma or diesel migration's own directory is not another folder
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path("/work/corpus")
    failed = 0
    print(f"{'repository':<12} {'tool':<15} {'count':>6}  {'first':<22} {'last':<22} {'ms':>6}  folder")
    for repository in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in migration_folders(repository):
            started = time.perf_counter()
            try:
                folder = read_folder(path)
            except MigrationFolderError as error:
                failed += 1
                print(f"{repository.name:<12} ERROR {error}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            first, last = folder.migrations[0], folder.migrations[-1]
            print(
                f"{repository.name:<12} {folder.tool:<15} {len(folder.migrations):>6}  {first.key:<22}"
                f" {last.key:<22} {elapsed:>6.0f}  {path.relative_to(root)}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
