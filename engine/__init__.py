"""The case engine: the only code that changes a case (see ARCHITECTURE.md, invariant 1)."""
