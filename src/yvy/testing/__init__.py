"""yvy.testing."""
