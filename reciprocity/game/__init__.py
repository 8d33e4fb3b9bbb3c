"""The game layer: a `Room` runs one game, `narrate` puts its events into words, and
`history` builds the past games' summaries from the records."""
