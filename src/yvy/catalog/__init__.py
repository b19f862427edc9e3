"""yvy.catalog."""
