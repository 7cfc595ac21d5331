"""The benchmark harness: scenarios registered by name, measured the same way, reported to docs/."""
