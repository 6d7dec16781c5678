"""What a check found: ok, failed (blocks the submission), warning or skipped (does not)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

OK = "ok"
FAILED = "failed"
# Could not be made (no API, RBAC) or found something doubtful: said, never blocking.
WARNING = "warning"
SKIPPED = "skipped"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAILED


@dataclass
class CheckReport:
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, status: str, message: str = "") -> Check:
        check = Check(name, status, message)
        self.checks.append(check)
        return check

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.failed]

    @property
    def ok(self) -> bool:
        return not self.failures

    def failure_message(self) -> str:
        """One message for the UI: every failed check (each message says what it is about)."""
        return "; ".join(c.message for c in self.failures)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}
