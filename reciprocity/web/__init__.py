"""Playing from a browser: the web server (`server`), its pages (`pages`), and the program
each browser tab runs on this machine (`seat`)."""

#: Browser players one server runs at once, unless told otherwise: a workshop of 12 pairs.
DEFAULT_PLAYERS = 24
#: The web page's port when `--web` names none.
DEFAULT_WEB_PORT = 8080
