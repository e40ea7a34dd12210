"""How a step fails inside the executor: an exception that carries what state it left the database in.

The executor's promise is that a failed step leaves the database as it was before that step. Where it
cannot keep it (a cleanup statement that itself failed, a backfill stopped half-way), ``restored`` is
False and ``state`` says plainly what is left, so that the log and the CLI never claim otherwise.
"""

from __future__ import annotations

RESTORED = "The database was left as before this step."


class StepFailure(Exception):
    def __init__(
        self, message: str, *, restored: bool = True, state: str = RESTORED, retries: int = 0
    ) -> None:
        super().__init__(message)
        self.restored = restored
        self.state = state if not restored else RESTORED
        self.retries = retries


class VerificationFailed(StepFailure):
    """The verification query did not return the expected value (or could not run)."""
