"""yvy.cli."""
