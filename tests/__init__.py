"""The test suites (pytest; run from the project root, see pyproject.toml)."""
