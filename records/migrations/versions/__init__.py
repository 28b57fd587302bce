"""Migration scripts, oldest first (a package, so the scripts ship with chartroom)."""
