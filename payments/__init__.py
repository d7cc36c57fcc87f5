"""Ligdicash: async client, wire models, callback parsing, errors, phone rules, sandbox."""
