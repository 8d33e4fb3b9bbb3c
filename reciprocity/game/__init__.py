"""The game layer: a room, and what happens in it put into words."""
