"""The fields of a social-posts delivery, without Spark, so that landing (in the Airflow worker) can check them.

Posts are delivered as JSON Lines (one post per line) in two shapes, and both land in the same tables:

- ``twarc2``: what ``twarc2 flatten`` writes for the X (Twitter) API v2. Every post is self-contained:
  twarc copies the objects the API returns once per page under ``includes`` into each post that refers
  to them. The user of ``author_id`` becomes ``author``; of ``in_reply_to_user_id``, ``in_reply_to_user``;
  each ``referenced_tweets`` entry (``{"type": "retweeted" | "quoted" | "replied_to", "id"}``) gets the
  whole referenced post merged in (its own ``author``, ``geo``... but no ``__twarc``); each
  ``entities.mentions`` entry gets the mentioned user's fields merged in; and the place of
  ``geo.place_id`` is merged **into ``geo`` itself** (``geo.full_name``, ``geo.name``, ``geo.place_type``,
  ``geo.country_code``, ``geo.id``, ``geo.geo.bbox``): there is no ``geo.place`` object. ``__twarc``
  (``url``, ``version``, ``retrieved_at``) says which API request the post came from. Ids are strings
  (snowflakes), times ISO 8601 in UTC with milliseconds and ``Z``, ``geo.coordinates.coordinates`` is
  ``[longitude, latitude]`` (GeoJSON order). A field that is absent in the API response is absent in the
  line (no nulls), and ``text`` is HTML-escaped by the API (``&amp;``, ``&lt;``, ``&gt;``).
- ``weibo``: a Weibo status export. ``mid`` (string) and ``id`` (number) identify a status; ``created_at``
  is in Weibo's own format, ``Sat Mar 02 10:15:00 +0800 2024`` (Beijing time, whatever the poster's city);
  ``user`` is embedded; a repost carries the reposted status whole under ``retweeted_status``; ``geo`` is
  ``null`` or ``{"type": "Point", "coordinates": [latitude, longitude]}`` (note: **latitude first**,
  unlike GeoJSON and twarc2). There is no language field.

Personal data (GDPR Art. 4(1); classify and pseudonymise past bronze, see ``PERSONAL_DATA``):
- the author: ids (``author_id``, ``author.id``, ``user.id``/``idstr``), handles (``author.username``,
  ``user.screen_name``), display names (``author.name``, ``user.name``), profile location
  (``author.location``, ``user.location``), bio (``author.description``, ``user.description``);
- every other user a post embeds: ``in_reply_to_user*``, ``entities.mentions[*]`` (whole user objects
  after flattening), ``referenced_tweets[*].author``, ``retweeted_status.user``;
- precise location: ``geo.coordinates`` (a person's position at a time), less so a place;
- ``text``, free text, may hold @handles, e-mail addresses and phone numbers of the poster or others.
"""

from __future__ import annotations

from jobs.landing import DeliveryColumns

SOURCE = "social_posts"
SHAPES = ("twarc2", "weibo")

# Top-level fields of a flattened twarc2 post: the API's tweet fields (twarc2 asks for all of them), then
# what flattening adds. Most are optional: a post without a place has no ``geo``, an original no
# ``referenced_tweets``. ``edit_controls`` and ``note_tweet`` come from newer API versions.
TWARC2_FIELDS = (
    "id", "text", "created_at", "lang", "author_id", "conversation_id", "edit_history_tweet_ids",
    "possibly_sensitive", "reply_settings", "public_metrics", "entities", "geo", "referenced_tweets",
    "in_reply_to_user_id", "attachments", "context_annotations", "withheld", "source", "edit_controls",
    "note_tweet", "author", "in_reply_to_user", "__twarc",
)
# Top-level fields of a Weibo status.
WEIBO_FIELDS = (
    "created_at", "id", "idstr", "mid", "text", "source", "favorited", "truncated", "geo", "user",
    "retweeted_status", "reposts_count", "comments_count", "attitudes_count", "isLongText", "pic_urls",
    "annotations",
)

# What a post must have to be read at all, per shape.
TWARC2_REQUIRED = ("id", "text", "created_at", "author_id")
WEIBO_REQUIRED = ("mid", "text", "created_at", "user")
REQUIRED_COLUMNS = DeliveryColumns(spellings=(TWARC2_REQUIRED, WEIBO_REQUIRED), layouts=(TWARC2_FIELDS, WEIBO_FIELDS))

# Times, as Python's strptime reads them. Spark 3+ cannot *parse* a day-of-week ('E'), so a Spark reader
# of Weibo's format drops the first four characters ("Sat ") and parses "MMM dd HH:mm:ss Z yyyy".
TWARC2_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"
WEIBO_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"

# X's ``lang`` holds BCP 47 codes, plus its own codes for posts without language: undetermined, and
# posts of only media, mentions, hashtags, cashtags, or no linguistic content. Valid, but no language.
TWITTER_NO_LANGUAGE_CODES = ("und", "qme", "qam", "qht", "qst", "zxx")

# The dotted paths holding personal data, per shape (``[*]``: every element of a list).
PERSONAL_DATA = {
    "twarc2": (
        "author_id", "author.id", "author.username", "author.name", "author.location", "author.description",
        "in_reply_to_user_id", "in_reply_to_user", "entities.mentions[*]", "referenced_tweets[*].author_id",
        "referenced_tweets[*].author", "referenced_tweets[*].text", "geo.coordinates", "text",
    ),
    "weibo": (
        "user.id", "user.idstr", "user.screen_name", "user.name", "user.location", "user.description",
        "retweeted_status.user", "retweeted_status.text", "retweeted_status.geo", "geo", "text",
    ),
}

# Fields only one shape has: what tells the shapes apart (both have id, text, created_at and geo).
TWARC2_MARKERS = frozenset({"author_id", "author", "__twarc", "edit_history_tweet_ids", "public_metrics", "conversation_id", "lang"})
WEIBO_MARKERS = frozenset({"mid", "idstr", "user", "reposts_count", "comments_count", "attitudes_count", "retweeted_status"})


def shape_of(record: object) -> str | None:
    """``"twarc2"`` or ``"weibo"`` for a parsed JSON line; None when it is not a post object of one shape.

    A post missing a required field (no id, no created_at) is still recognised by the fields only its
    shape has; a JSON array, a scalar, or an object with markers of both shapes or of neither is None.
    """
    if not isinstance(record, dict):
        return None
    fields = record.keys()
    is_twarc2 = not TWARC2_MARKERS.isdisjoint(fields)
    is_weibo = not WEIBO_MARKERS.isdisjoint(fields)
    if is_twarc2 == is_weibo:
        return None
    return "twarc2" if is_twarc2 else "weibo"
