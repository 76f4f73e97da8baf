"""What a benchmark is given: its size, the environment its child processes get, where logs go."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .sizes import Size


@dataclass
class Context:
    size: Size
    env: dict[str, str]  # for the processes a benchmark starts: same database, broker and settings
    log_dir: Path
    database: str  # "PostgreSQL 15.x" or "SQLite 3.x"
    broker: str  # "redis" or "filesystem"

    @property
    def postgres(self) -> bool:
        return self.database.startswith("PostgreSQL")

    def say(self, message: str) -> None:
        print(f"  … {message}", file=sys.stderr, flush=True)
