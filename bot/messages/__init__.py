"""Every user-facing text and keyboard, per feature and per language."""
