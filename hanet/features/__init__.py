"""Per-frame video features: the extractor registry and `hanet extract`."""
