"""chartroom: paper medical records into a searchable, access-controlled archive."""

from __future__ import annotations

__version__ = "0.1.0"
