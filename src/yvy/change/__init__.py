"""yvy.change."""
