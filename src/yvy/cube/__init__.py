"""yvy.cube."""
