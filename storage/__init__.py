"""SQLite storage through aiosqlite: one store per aggregate, frozen dataclasses out."""
