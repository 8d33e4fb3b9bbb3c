"""Room codes such as `7-amber-harbor`: their words, how they are checked, the join line.

The words are short, friendly and easy to say aloud.

Every word is lowercase ASCII, two to twelve letters, and chosen to be unambiguous when read
over the phone: no homophones (no "sea" beside "see"), no words easily misspelt, nothing
unkind. Two words drawn with `secrets` from this list give about 17 bits beside the number.
The host's screen draws them (`new_words`), and they are the password of
the key exchange, so they never go to the relay.
"""

from __future__ import annotations

import re
import secrets

from reciprocity import ReciprocityError

_LIST = """
acorn alcove almond alpine amber anchor anise apple apricot arbor arch aspen atlas
autumn avocado badge bagel bakery balmy bamboo banjo banner barley barn basil basket
beacon beagle beaver birch biscuit bison blanket blossom bluebell bonfire bonnet bramble
breeze brook bubble bucket bugle bunny butter button cabin cactus cake camel cameo candle
canoe canvas canyon caramel cardinal carrot cashew castle cedar celery cello chalk charm
cherry chestnut chime cider citrus clay cliff clover cobalt cocoa coconut comet compass
copper coral cottage cotton cove cozy crane crayon cricket crocus crystal cupcake daisy
dandelion dapple delta denim dingo dolphin dove dragon drum dune eagle easel echo ember
emerald fable falcon feather fennel fern fiddle field fig finch firefly flannel flint
fluffy flute forest fossil fountain fox freckle frost fudge galaxy garden garnet gazelle
gecko ginger glacier glade glimmer glow goblet gondola goose granite grape gravy grove
guitar gull hammock harbor harmony harp hazel heather hedge heron hickory hilltop hive
honey horizon husky igloo indigo iris island ivory ivy jacket jade jasmine jelly jigsaw
jolly journal jubilee juniper kayak kelp kettle kiwi koala ladder lagoon lake lantern lark
laurel lava lavender leaf lemon lentil lilac lily lime linen lizard llama lobster locket
lotus lullaby lupin magnet magpie mango maple marble marigold marsh meadow melody melon
meteor mint mitten mosaic moss muffin mural mustard narwhal nectar nest nickel noodle
nutmeg oak oasis oatmeal ocean olive onyx opal orbit orchard orchid origami otter owl
oyster paddle pagoda palette panda papaya parade parsley pasta pastel peach peanut pebble
pecan pelican penguin pepper petal piano pickle picnic pigeon pillow pine pinwheel planet
plaza pocket polka pony popcorn poppy porch potato pottery pretzel prism puffin pumpkin
puzzle quartz quill quilt rabbit raccoon radish rainbow raisin ranch raven reef ribbon
ripple river robin rocket rooftop ruby saddle saffron sage salad sandal sapphire satin
scarf scone seashell sequin shadow shelter shore silver sketch sled slipper snowdrop
sonnet sparrow spice spinach sprout spruce squash starling stream summit sunny swan
sweater taco tandem tango teapot temple thistle thunder tiger timber toffee tomato topaz
tortoise trellis trumpet tulip tundra turnip turtle tuxedo twig umbrella valley vanilla
velvet violet violin voyage waffle walnut walrus willow window winter wombat wren yodel
yonder zebra zigzag
"""

#: The word list, in alphabetical order.
WORDS: tuple[str, ...] = tuple(_LIST.split())

#: Where `reciprocity join` looks for the relay when `--relay` is not given.
DEFAULT_RELAY = "ws://localhost:8765"

_CODE = re.compile(r"^[0-9]{1,4}-[a-z]{2,12}-[a-z]{2,12}$")


class BadCode(ReciprocityError):
    """Text that cannot be a game code."""


def new_words() -> str:
    """Two words for a new code, drawn here with `secrets`: the relay never learns them."""
    return f"{secrets.choice(WORDS)}-{secrets.choice(WORDS)}"


def check_code(code: str) -> str:
    """The code, tidied; raises `BadCode` if it cannot be a code."""
    tidy = code.strip().lower()
    if not _CODE.match(tidy):
        raise BadCode(f"'{code}' is not a game code; a code looks like 7-amber-harbor")
    return tidy


def code_number(code: str) -> int:
    """The room number a (checked) code begins with: 7 for `7-amber-harbor`."""
    return int(code.split("-", 1)[0])


def invite_line(code: str, relay: str) -> str:
    """The exact command the partner runs to join."""
    if relay == DEFAULT_RELAY:
        return f"reciprocity join {code}"
    return f"reciprocity join {code} --relay {relay}"


def join_url(web: str, code: str | None = None) -> str:
    """The web address a browser joins at: a hosted game's or a pair's own, with `code`
    filled in on the join screen (the person types only their name), or the join screen
    itself without one. `web` is the page's address, such as http://192.168.1.20:8080."""
    base = web.rstrip("/")
    return f"{base}/join/{code}" if code else f"{base}/"
