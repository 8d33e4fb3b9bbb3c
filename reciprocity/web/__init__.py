"""Playing from a browser: the web server (`server`), its pages (`pages`), and the program
each browser tab runs on this machine (`seat`)."""

#: Browser players one server runs at once, unless told otherwise: a workshop of 12 pairs.
DEFAULT_PLAYERS = 24
#: The web page's port when `--web` names none.
DEFAULT_WEB_PORT = 8080
#: The environment variable that hands a tab's process the code from the tab's link: not its
#: command line, which any user of this machine may read (`ps`), and a code is a pair's key.
SEAT_CODE = "RECIPROCITY_SEAT_CODE"
