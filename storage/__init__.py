"""SQLite storage through aiosqlite: one store per aggregate, frozen dataclasses out."""

from storage.database import (
    BackupError,
    Database,
    MigrationError,
    StorageError,
    Transaction,
    check_file,
)
from storage.stores import Stores

__all__ = [
    "BackupError",
    "Database",
    "MigrationError",
    "StorageError",
    "Stores",
    "Transaction",
    "check_file",
]
