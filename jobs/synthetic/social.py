"""Synthetic social posts about city services, in both shapes citylake reads, any days, any size, by seed.

Shapes (``--shape``): ``twarc2`` is what ``twarc2 flatten`` writes for the X API v2 (English posts, one
JSON object a line, ASCII-escaped as twarc's ``json.dumps`` writes it, with ``author``, ``geo`` with the
place merged in, ``referenced_tweets`` with the referenced post merged in, ``__twarc``; see
``jobs/social/columns.py``); ``weibo`` is a Weibo status export (Chinese posts, UTF-8, Weibo's
``created_at``, ``user``, ``retweeted_status``, ``geo`` as [latitude, longitude]). A day's delivery is
``<inbox>/social_posts/<day>/twarc2_flattened_<day>_synthetic.jsonl`` or ``weibo_statuses_<day>_synthetic.jsonl``
and holds ``rows`` lines: the posts of the city's day (midnight to midnight in New York), newest first
within each chunk of ``CHUNK_ROWS`` lines, as a search returns them (readers must not rely on order).

What a day holds, as real collections do (shares of lines):

- originals by people (the rest), each built from a template of a theme (transport, waste and sanitation,
  public safety, noise, a few of two themes, and off-topic) and a sentiment: negative, neutral, positive;
  polite or sarcastic complaints ("thanks MTA, another 40 minute delay") are negative;
- ``RETWEET_SHARE`` retweets ("RT @handle: ..." with ``referenced_tweets`` ``retweeted``) or Weibo reposts
  ("转发微博" with ``retweeted_status``); on twarc2 also replies ("@handle ...", ``replied_to``) and quotes;
- ``NEAR_DUPLICATE_SHARE`` near duplicates (an earlier post's text, slightly changed, under a new id) and
  ``EXACT_DUPLICATE_SHARE`` exact duplicates (a line delivered twice, byte for byte, same id);
- ``BOT_SHARE`` posts by a few bot-like accounts ("news_bot_123"): one account posting near-identical
  alerts every few minutes, with a huge post count;
- ``CONTACT_SHARE`` of originals hold a @handle, an e-mail address (example.org/.net/.com) and a phone
  number (NANP 555-01xx, reserved for fiction);
- locations as sparse as real data: ``COORDINATES_SHARE`` of originals carry coordinates inside a borough
  (and that borough's place), another ``PLACE_SHARE`` only a place (twarc2: a city, neighbourhood, point
  of interest or state place; weibo: a place named in the text, "#法拉盛# ..."), ``PROFILE_LOCATION_SHARE``
  of accounts a profile location (twarc2: free text such as "bklyn", "NYC", "Jersey City, NJ"; weibo:
  Weibo's "海外 美国" and the like, which never name a borough); the rest nothing.

Defects, in the share asked for, in equal numbers per kind (``DEFECTS``), each replacing a whole line:
``truncated_json`` (a line cut short), ``empty_line``, ``json_array`` (a post wrapped in ``[...]``),
``id_missing``, ``created_at_missing``, ``created_at_unknown_format`` (twarc2: API v1.1's
"Sat Mar 02 15:15:00 +0000 2024"; weibo: the web page's "今天 10:15"), ``lang_unknown`` (twarc2 only:
"xx"; Weibo has no language field) and ``text_empty``. Every fourth day also re-sends the previous day's
file under another name.

Ground truth, for tests and benchmarks, never written to the inbox: ``generate_day`` returns every line
with its ``Label`` and ``labelled_posts`` the parsed well-formed posts with theirs. Labels are the
generator's construction rules, not anyone's judgement: ``sentiment`` and ``themes`` are those of the
template a text was built from (a retweet, repost or near duplicate has its original's; a reply or quote
its own; off-topic posts have no theme); ``is_bot`` is "posted by a bot account"; ``is_duplicate`` marks an
exact duplicate (the later line), a near duplicate, and every post of a bot after its first of the day,
with ``duplicate_of`` naming the post copied; ``borough`` is where the generator put the post, through the
first of its coordinates, place (or place in the text) and author's profile location that points at a
borough, with ``location_source`` saying which; ``personal_data_in_text`` lists which of handle, email and
phone the text holds.

Synthetic people only: names and handles are built from invented syllables (English) or nickname words
(Chinese), never real names. The same seed, days, sizes and shape always give the same bytes.
"""

from __future__ import annotations

import html
import json
import random
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from hashlib import sha1
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jobs.social import columns as raw
from jobs.synthetic import deliver_range, days, delivery_file
from jobs.themes import THEMES

SHAPES = raw.SHAPES
DEFECTS = {
    "twarc2": (
        "truncated_json", "empty_line", "json_array", "id_missing", "created_at_missing",
        "created_at_unknown_format", "lang_unknown", "text_empty",
    ),
    "weibo": (
        "truncated_json", "empty_line", "json_array", "id_missing", "created_at_missing",
        "created_at_unknown_format", "text_empty",
    ),
}
FILE_NAMES = {"twarc2": "twarc2_flattened_{day}_synthetic.jsonl", "weibo": "weibo_statuses_{day}_synthetic.jsonl"}
CITY_TIMEZONE = ZoneInfo("America/New_York")
BEIJING = timezone(timedelta(hours=8))
EXAMPLE_DAY = date(2024, 3, 2)
CHUNK_ROWS = 50_000
ACCOUNTS = 5_000  # people who post about the city, per shape; a few post often, most rarely
PAGE_SIZE = 100  # posts per API page (twarc2's __twarc is per page)

RETWEET_SHARE = 0.15
REPLY_SHARE = 0.04  # twarc2 only: Weibo's comments are not statuses
QUOTE_SHARE = 0.02  # twarc2 only
NEAR_DUPLICATE_SHARE = 0.03
EXACT_DUPLICATE_SHARE = 0.01
BOT_SHARE = 0.05
CONTACT_SHARE = 0.03
COORDINATES_SHARE = 0.03
PLACE_SHARE = 0.17
PROFILE_LOCATION_SHARE = 0.40

TRANSPORT, WASTE, SAFETY, NOISE = "transport", "waste and sanitation", "public safety", "noise"
SENTIMENTS = ("negative", "neutral", "positive")
# Which kind of post an original is about, and how people feel about city services (complaints dominate).
TOPIC_WEIGHTS = {TRANSPORT: 30, WASTE: 15, SAFETY: 15, NOISE: 15, "two themes": 7, "off-topic": 18}
SENTIMENT_WEIGHTS = {"city": (55, 28, 17), "off-topic": (15, 35, 50)}
# Posts per hour of the city's day: night lull, commute peaks.
HOURLY_WEIGHTS = (3, 2, 1, 1, 1, 2, 4, 8, 10, 8, 6, 6, 7, 6, 6, 7, 8, 10, 9, 8, 7, 6, 5, 4)

# (themes, sentiment, text). Placeholders: {line} subway line, {bus} bus route, {minutes}.
ENGLISH_TEMPLATES = (
    ((TRANSPORT,), "negative", "thanks MTA, another {minutes} minute delay on the {line} train"),
    ((TRANSPORT,), "negative", "love standing on the platform for {minutes} minutes, great job as always #MTA"),
    ((TRANSPORT,), "negative", "{line} train stuck between stations again. {minutes} minutes and counting"),
    ((TRANSPORT,), "negative", "the {bus} bus just drove right past a full stop without stopping"),
    ((TRANSPORT,), "negative", "signal problems on the {line} again, late for work for the third time this week"),
    ((TRANSPORT,), "negative", "traffic on the BQE is a parking lot this morning, not moving at all"),
    ((TRANSPORT,), "negative", "that pothole on my street has been there for months and just ate my tire"),
    ((TRANSPORT,), "neutral", "{line} trains are running on a different line this weekend, check the MTA site"),
    ((TRANSPORT,), "neutral", "heads up: the {bus} bus is detoured until Friday"),
    ((TRANSPORT,), "neutral", "service change tonight: no {line} trains between two stops after 11pm"),
    ((TRANSPORT,), "neutral", "taking the ferry to work today instead of the subway"),
    ((TRANSPORT,), "positive", "shoutout to the {line} train conductor, smooth ride and clear announcements"),
    ((TRANSPORT,), "positive", "the {bus} bus came right on time and the driver waited for me, thank you"),
    ((TRANSPORT,), "positive", "the new bike lane on my street is great, so much calmer riding to work"),
    ((TRANSPORT,), "positive", "OMNY worked first try and the train was on time, good morning"),
    ((WASTE,), "negative", "trash pickup skipped our block again, bags piling up on the curb"),
    ((WASTE,), "negative", "wow, garbage collection missed us for the second week, amazing service"),
    ((WASTE,), "negative", "rats everywhere near the overflowing bins on the corner, disgusting"),
    ((WASTE,), "negative", "someone dumped a whole mattress and bags of trash & old furniture on our street"),
    ((WASTE,), "negative", "the litter basket on the corner hasn't been emptied in days"),
    ((WASTE,), "neutral", "reminder: recycling pickup moves to Thursday because of the holiday"),
    ((WASTE,), "neutral", "DSNY compost bins are here, the brown bin goes out Sunday night"),
    ((WASTE,), "neutral", "street sweeping this morning, remember to move your car"),
    ((WASTE,), "positive", "sanitation crew cleaned the whole block before 7am, thank you"),
    ((WASTE,), "positive", "the new trash containers on the avenue actually keep the rats out"),
    ((WASTE,), "positive", "compost pickup is the best, less garbage and no smell"),
    ((SAFETY,), "negative", "phone got stolen on my way home and the police took an hour to show up"),
    ((SAFETY,), "negative", "shots fired near the playground last night, scary"),
    ((SAFETY,), "negative", "another robbery on our block this week, where is the NYPD"),
    ((SAFETY,), "negative", "felt unsafe walking home tonight, dark and nobody around"),
    ((SAFETY,), "negative", "thanks for nothing, called 911 and waited forty minutes"),
    ((SAFETY,), "neutral", "community council meeting with the precinct tonight at 7"),
    ((SAFETY,), "neutral", "NYPD says the suspect in last week's break-in was arrested"),
    ((SAFETY,), "neutral", "police activity on the corner, the street is closed for now"),
    ((SAFETY,), "positive", "the officers at our precinct were kind and helpful today, thank you"),
    ((SAFETY,), "positive", "crime on our block is way down this year, feels like home again"),
    ((SAFETY,), "positive", "shoutout to the cops who helped a lost kid find her parents"),
    ((NOISE,), "negative", "construction noise started at 6am again, on a Sunday"),
    ((NOISE,), "negative", "the neighbors' party went until 4am, music so loud the walls shook"),
    ((NOISE,), "negative", "a car alarm has been going off for an hour"),
    ((NOISE,), "negative", "helicopters circling overhead all night, nobody can sleep"),
    ((NOISE,), "negative", "thanks for the 3am jackhammer, really needed that sleep"),
    ((NOISE,), "neutral", "the city is taking noise complaints about late night work sites"),
    ((NOISE,), "neutral", "quiet hours start at 10pm under the new building rules"),
    ((NOISE,), "positive", "finally a calm night, the loud bar next door closed early"),
    ((NOISE,), "positive", "so glad the ice cream truck turned off its music on our street"),
    ((TRANSPORT, NOISE), "negative", "the elevated {line} train is so loud at night the windows rattle"),
    ((TRANSPORT, SAFETY), "negative", "someone got robbed on the {line} platform, more police in the subway please"),
    ((WASTE, NOISE), "negative", "garbage trucks so loud at 4am every single night"),
    ((), "positive", "best bagel I've had all year, no contest"),
    ((), "neutral", "anyone else watching the finale tonight?"),
    ((), "positive", "new coffee place opened on my block and it's great #NYC"),
    ((), "negative", "rainy monday and I forgot my umbrella again"),
    ((), "positive", "happy birthday to my sister, love you!"),
    ((), "neutral", "what's everyone reading this month"),
)
CHINESE_TEMPLATES = (
    ((TRANSPORT,), "negative", "谢谢MTA，{line}线又晚点{minutes}分钟，今天又迟到了"),
    ((TRANSPORT,), "negative", "{line}线地铁在两站之间停了{minutes}分钟，一点广播都没有"),
    ((TRANSPORT,), "negative", "{bus}公交等了{minutes}分钟都没来"),
    ((TRANSPORT,), "negative", "站台上人挤人，信号故障又延误了"),
    ((TRANSPORT,), "neutral", "本周末{line}线地铁部分停运，请提前安排换乘"),
    ((TRANSPORT,), "neutral", "{bus}公交下周起改道"),
    ((TRANSPORT,), "neutral", "今天改坐渡轮上班，换个通勤方式"),
    ((TRANSPORT,), "positive", "今天{line}线地铁非常准时，点赞"),
    ((TRANSPORT,), "positive", "{bus}公交换了新车，又快又干净"),
    ((WASTE,), "negative", "楼下的垃圾三天没人收了，臭死了"),
    ((WASTE,), "negative", "街角到处是老鼠，真恶心"),
    ((WASTE,), "negative", "有人在路边乱扔旧家具，一大堆也没人管"),
    ((WASTE,), "negative", "谢谢卫生部门，我们这条街又漏收了一周"),
    ((WASTE,), "neutral", "提醒：因为节假日，本周回收日改到周四"),
    ((WASTE,), "neutral", "社区开始发放堆肥桶了，每周日晚上放出去"),
    ((WASTE,), "positive", "环卫工人一大早就把整条街清理干净了，辛苦了"),
    ((WASTE,), "positive", "新的垃圾桶有盖子，干净多了"),
    ((SAFETY,), "negative", "下班路上手机被偷了，等了一个小时才有人来"),
    ((SAFETY,), "negative", "昨晚公园附近有枪击，太吓人了"),
    ((SAFETY,), "negative", "这周我们街区又发生了抢劫，治安越来越差"),
    ((SAFETY,), "negative", "晚上一个人走回家感觉很不安全"),
    ((SAFETY,), "neutral", "今晚七点警局有社区座谈会"),
    ((SAFETY,), "neutral", "新闻说上周入室盗窃的嫌疑人已经被抓了"),
    ((SAFETY,), "positive", "附近的警察很耐心，帮了大忙，谢谢"),
    ((SAFETY,), "positive", "今年我们这边犯罪少了很多"),
    ((NOISE,), "negative", "楼上装修从早上七点就开始了，周末也不停"),
    ((NOISE,), "negative", "邻居半夜开派对，音乐声震得墙都在抖"),
    ((NOISE,), "negative", "汽车喇叭响了一整晚，根本睡不着"),
    ((NOISE,), "negative", "谢谢凌晨三点的施工噪音，真是提神"),
    ((NOISE,), "neutral", "市里发布了新的噪音管理规定，晚上十点后需要许可"),
    ((NOISE,), "neutral", "夏天又到了，狗叫和烟花的投诉会多起来"),
    ((NOISE,), "positive", "隔壁酒吧搬走了，终于不吵闹了"),
    ((NOISE,), "positive", "施工噪音终于结束了，今晚可以好好睡觉了"),
    ((TRANSPORT, SAFETY), "negative", "有人在{line}线站台上被抢劫，希望地铁里多一些警察"),
    ((TRANSPORT, NOISE), "negative", "高架地铁{line}线晚上太吵了，窗户都在震"),
    ((WASTE, NOISE), "negative", "垃圾车凌晨四点来，太吵了"),
    ((), "positive", "今天的奶茶很好喝"),
    ((), "positive", "周末去看了一场电影，推荐给大家"),
    ((), "positive", "纽约的春天终于来了，花都开了"),
    ((), "neutral", "有没有人一起去看展览"),
    ((), "negative", "又下雨了，忘带伞"),
    ((), "positive", "这家面包店的可颂绝了"),
)
# A post that gives contact details: (themes, sentiment, text); {handle}, {email}, {phone} are filled in.
ENGLISH_CONTACT_TEMPLATES = (
    ((WASTE,), "negative", "@{handle} the trash on our block is still there, please call me at {phone} or write to {email}"),
    ((TRANSPORT,), "neutral", "found a wallet on the {line} train, owner can reach me at {email} or {phone} cc @{handle}"),
    ((TRANSPORT,), "negative", "lost my bag on the {bus} bus, if found email {email} or call {phone} cc @{handle}"),
    ((NOISE,), "negative", "@{handle} the noise from the bar is still going, neighbors can reach me at {email} or {phone}"),
)
CHINESE_CONTACT_TEMPLATES = (
    ((WASTE,), "negative", "@{handle} 我们楼下的垃圾还没人清运，请联系我 {email} 或 {phone}"),
    ((TRANSPORT,), "neutral", "在{line}线地铁上捡到一个钱包，失主请联系 {email} 或 {phone} @{handle}"),
    ((NOISE,), "negative", "@{handle} 隔壁的噪音还没解决，邻居们可以联系我 {email} 或 {phone}"),
)
# Bots: one template each, the same post again and again with a new time. (themes, text)
ENGLISH_BOTS = (
    ("news_bot", (TRANSPORT,), "Service alert: {line} trains are delayed because of signal problems. Updated {clock}."),
    ("alert_bot", (SAFETY, TRANSPORT), "Police activity reported in the area, expect delays. Update {count} at {clock}."),
    ("nycupdates", (WASTE,), "Sanitation update: collection is on schedule today. Posted {clock} #NYC"),
)
CHINESE_BOTS = (
    ("news_bot", (TRANSPORT,), "【纽约快讯】{line}线地铁因信号故障延误，更新时间{clock}"),
    ("alert_bot", (WASTE,), "【纽约快讯】卫生部门提醒：明天垃圾回收照常进行，发布时间{clock}"),
    ("xinwen", (SAFETY,), "【社区提醒】附近有警察执勤，请注意安全，第{count}次更新 {clock}"),
)
ENGLISH_SUBWAY_LINES = ("A", "C", "E", "F", "G", "L", "Q", "R", "N", "2", "3", "4", "5", "6", "7")
CHINESE_SUBWAY_LINES = ("7号", "N", "R", "D", "F", "Q", "W")
BUS_ROUTES = ("M15", "M86", "B41", "B46", "Q58", "Q44", "Bx12", "Bx19", "S79")
RETWEET_COMMENTS_ZH = ("转发微博", "转发微博", "转发微博", "同感", "太真实了", "+1", "说得对")

# Invented name parts, chosen to spell no common real first name or surname.
GIVEN_NAMES = (
    "Tavro", "Miselle", "Korvin", "Elbeth", "Junova", "Pellam", "Ruskel", "Odalie", "Brisco", "Fenwyn", "Lumie",
    "Zarek", "Quenna", "Teodric", "Vessa", "Harlo", "Imrae", "Dorrin", "Yalis", "Wrenna", "Oskel", "Sabeth",
    "Tolly", "Nivra", "Caskel", "Embrolin", "Gidwen", "Rovena", "Ulmar", "Zinnow",
)
FAMILY_NAMES = (
    "Vantreece", "Mollenkar", "Thistlewood", "Crandemoor", "Pellaway", "Farrowdale", "Kestrelby", "Quillon",
    "Brannoway", "Dorsetti", "Halvane", "Ombrecht", "Sallowby", "Tarkwell", "Venmoor", "Wyssel", "Yarrowick",
    "Zellner-Voss", "Amberloft", "Corvane",
)
BIOS = ("", "", "coffee first", "dog parent | runner", "opinions my own", "photos and long walks", "night owl", "cooking, reading, napping")
NICKNAME_STARTS = ("爱吃", "不想", "早起的", "路过的", "今天也", "快乐的", "努力的", "迷路的", "夜跑的", "安静的")
# No keyword of jobs/reference/social_topics.csv in them: a mention must not add a theme to a post.
NICKNAME_ENDS = ("小猫", "打工人", "上班族", "咸鱼", "番茄", "柠檬", "星星", "熊猫", "奶茶", "月亮")
EMAIL_DOMAINS = ("example.org", "example.net", "example.com")
AREA_CODES = ("212", "718", "347", "917", "646", "929")

# Profile locations people write, and the borough each points at (None: the city, elsewhere, or no place).
ENGLISH_PROFILE_LOCATIONS = (
    ("Brooklyn, NY", "Brooklyn"), ("bklyn", "Brooklyn"), ("Bushwick, Brooklyn", "Brooklyn"), ("Park Slope", "Brooklyn"),
    ("The Bronx", "Bronx"), ("Bronx, NY", "Bronx"), ("Queens, NY", "Queens"), ("Astoria, Queens", "Queens"),
    ("Jackson Heights", "Queens"), ("LIC", "Queens"), ("Harlem, New York", "Manhattan"), ("Upper West Side", "Manhattan"),
    ("Manhattan, NY", "Manhattan"), ("East Village, NYC", "Manhattan"), ("Staten Island", "Staten Island"),
    ("SI, NY", "Staten Island"), ("NYC", None), ("New York, NY", None), ("New York City", None), ("New York, USA", None),
    ("Jersey City, NJ", None), ("Long Island", None), ("Williamsburg, VA", None), ("she/her", None), ("earth", None),
)
CHINESE_PROFILE_LOCATIONS = (("海外 美国", None),) * 6 + (("海外", None), ("北京 朝阳区", None), ("上海 浦东新区", None), ("广东 广州", None))
# A Weibo user who set no location shows "其他" (other).
WEIBO_NO_LOCATION = "其他"

# Boxes (south, north, west, east) well inside each borough, for coordinates.
BOROUGH_BOXES = {
    "Manhattan": ((40.745, 40.770, -73.990, -73.975), (40.800, 40.825, -73.955, -73.940), (40.705, 40.720, -74.010, -74.000)),
    "Brooklyn": ((40.630, 40.690, -73.990, -73.920),),
    "Queens": ((40.700, 40.760, -73.880, -73.780),),
    "Bronx": ((40.820, 40.865, -73.910, -73.850),),
    "Staten Island": ((40.570, 40.620, -74.160, -74.110),),
}
# Each borough's bounding box as X publishes its city place: [west, south, east, north].
BOROUGH_BBOXES = {
    "Manhattan": [-74.026675, 40.683935, -73.910408, 40.877483],
    "Brooklyn": [-74.041878, 40.570842, -73.855673, 40.739434],
    "Queens": [-73.962582, 40.541722, -73.699793, 40.800037],
    "Bronx": [-73.933612, 40.785365, -73.765271, 40.91533],
    "Staten Island": [-74.255641, 40.495865, -74.052253, 40.648887],
}
# X places: (full_name, name, place_type, borough, weight). Ids are synthetic.
PLACES = (
    ("Manhattan, NY", "Manhattan", "city", "Manhattan", 20), ("Brooklyn, NY", "Brooklyn", "city", "Brooklyn", 16),
    ("Queens, NY", "Queens", "city", "Queens", 12), ("Bronx, NY", "Bronx", "city", "Bronx", 7),
    ("Staten Island, NY", "Staten Island", "city", "Staten Island", 3),
    ("Williamsburg, Brooklyn", "Williamsburg", "neighborhood", "Brooklyn", 5), ("Astoria, Queens", "Astoria", "neighborhood", "Queens", 4),
    ("Harlem, Manhattan", "Harlem", "neighborhood", "Manhattan", 4), ("Flushing, Queens", "Flushing", "neighborhood", "Queens", 4),
    ("Park Slope, Brooklyn", "Park Slope", "neighborhood", "Brooklyn", 3), ("Riverdale, Bronx", "Riverdale", "neighborhood", "Bronx", 2),
    ("Yankee Stadium", "Yankee Stadium", "poi", "Bronx", 3), ("Barclays Center", "Barclays Center", "poi", "Brooklyn", 3),
    ("Grand Central Terminal", "Grand Central Terminal", "poi", "Manhattan", 3),
    ("New York, USA", "New York", "admin", None, 7),
)
# Places named in a Weibo post's text, and their borough (纽约 is the whole city).
CHINESE_TEXT_PLACES = (
    ("法拉盛", "Queens", 8), ("曼哈顿", "Manhattan", 6), ("布鲁克林", "Brooklyn", 6), ("皇后区", "Queens", 4),
    ("日落公园", "Brooklyn", 4), ("唐人街", "Manhattan", 4), ("艾姆赫斯特", "Queens", 2), ("长岛市", "Queens", 2),
    ("时代广场", "Manhattan", 2), ("布朗克斯", "Bronx", 1), ("史泰登岛", "Staten Island", 1), ("纽约", None, 6),
)
TWARC_VERSION = "2.14.0"
TWARC_QUERY = '(MTA OR subway OR bus OR trash OR garbage OR NYPD OR police OR noise OR NYC OR #NYC) lang:en -is:nullcast'
# The API's parameters twarc2 sends with every search request (twarc.expansions.EVERYTHING).
TWARC_PARAMETERS = {
    "expansions": "author_id,in_reply_to_user_id,referenced_tweets.id,referenced_tweets.id.author_id,entities.mentions.username,attachments.poll_ids,attachments.media_keys,geo.place_id",
    "tweet.fields": "attachments,author_id,context_annotations,conversation_id,created_at,entities,geo,id,in_reply_to_user_id,lang,public_metrics,text,possibly_sensitive,referenced_tweets,reply_settings,source,withheld",
    "user.fields": "created_at,description,entities,id,location,name,pinned_tweet_id,profile_image_url,protected,public_metrics,url,username,verified,withheld",
    "media.fields": "duration_ms,height,media_key,preview_image_url,type,url,width,public_metrics",
    "poll.fields": "duration_minutes,end_datetime,id,options,voting_status",
    "place.fields": "contained_within,country,country_code,full_name,geo,id,name,place_type",
}
TWITTER_EPOCH_MS = 1288834974657  # snowflake ids count milliseconds from here
WEIBO_MID_BASE = 4_900_000_000_000_000
WEIBO_EPOCH_SECONDS = 1_700_000_000
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Label:
    """What a generated post is, by construction (see the module docstring for each rule)."""

    post_id: str
    kind: str  # original | retweet | reply | quote | near_duplicate | exact_duplicate | bot
    sentiment: str  # negative | neutral | positive
    themes: tuple[str, ...]  # city themes, in jobs.themes.THEMES order; () for off-topic
    is_bot: bool
    is_duplicate: bool
    duplicate_of: str | None
    is_retweet: bool
    borough: str | None
    location_source: str | None  # coordinates | place | text | profile
    personal_data_in_text: tuple[str, ...]  # of handle, email, phone


@dataclass(frozen=True)
class GeneratedLine:
    """One delivered line (without its newline), its post's label (None: no post) and its defect, if any."""

    text: str
    label: Label | None
    defect: str | None


@dataclass(frozen=True)
class Account:
    id: str
    handle: str
    name: str
    created_at: datetime
    description: str
    location: str | None
    location_borough: str | None
    followers: int
    following: int
    posts: int
    is_bot: bool = False


@dataclass
class _Post:
    record: dict
    label: Label
    created: datetime
    author: Account
    inserted: tuple[tuple[str, str], ...] = ()  # (kind, value) of personal data put in the text
    page: int = 0
    line: str = ""
    referenced: bool = False


# ---------------------------------------------------------------------------------------------- accounts


def _rng(*parts: object) -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random: the same on every run and platform.
    return random.Random(":".join(str(part) for part in parts))


def _snowflake(moment: datetime, sequence: int) -> int:
    milliseconds = int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS
    return (milliseconds << 22) | ((sequence >> 12) & 0x3FF) << 12 | (sequence & 0xFFF)


@lru_cache(maxsize=ACCOUNTS * 2)
def _account(seed: int, shape: str, number: int) -> Account:
    """The ``number``-th synthetic person of a shape: the same on every day, so authors recur."""
    rng = _rng("account", seed, shape, number)
    created = datetime(2009, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(15 * 365 * 86_400))
    if shape == "twarc2":
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        name = rng.choice((f"{given} {family}", f"{given} {family[0]}.", given.lower(), f"{given} {family} | {rng.choice(('she/her', 'he/him', 'they/them'))}"))
        handle = f"{given.lower()}{rng.choice(('', '_', '.'))}{family.lower()[: rng.randint(1, 4)]}{rng.randint(1, 999)}".replace(".", "_")[:15]
        numeric_id = _snowflake(created, number) if created.year >= 2022 else 10_000_000 + rng.randrange(2_000_000_000)
        located = rng.random() < PROFILE_LOCATION_SHARE
        location, borough = rng.choice(ENGLISH_PROFILE_LOCATIONS) if located else (None, None)
    else:
        handle = name = f"{rng.choice(NICKNAME_STARTS)}{rng.choice(NICKNAME_ENDS)}{rng.choice(('', '_'))}{rng.randint(1, 9999)}"
        numeric_id = 5_000_000_000 + rng.randrange(2_000_000_000)
        located = rng.random() < PROFILE_LOCATION_SHARE
        location, borough = rng.choice(CHINESE_PROFILE_LOCATIONS) if located else (WEIBO_NO_LOCATION, None)
    return Account(
        id=str(numeric_id), handle=handle, name=name, created_at=created, description=rng.choice(BIOS),
        location=location, location_borough=borough, followers=int(rng.paretovariate(1.2) * 40),
        following=rng.randint(20, 1500), posts=rng.randint(50, 40_000),
    )


def _bot(seed: int, shape: str, number: int) -> Account:
    rng = _rng("bot", seed, shape, number)
    prefix = (ENGLISH_BOTS if shape == "twarc2" else CHINESE_BOTS)[number % 3][0]
    handle = f"{prefix}_{rng.randint(100, 999)}" if prefix.endswith("bot") else f"{prefix}{rng.randint(100, 999)}"
    created = datetime(2023, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(300 * 86_400))
    numeric_id = _snowflake(created, number) if shape == "twarc2" else 7_000_000_000 + rng.randrange(100_000_000)
    return Account(
        id=str(numeric_id), handle=handle, name=handle.replace("_", " ").title(), created_at=created, description="automated updates",
        location=None if shape == "twarc2" else WEIBO_NO_LOCATION, location_borough=None, followers=rng.randint(3, 90),
        following=rng.randint(0, 5), posts=rng.randint(150_000, 900_000), is_bot=True,
    )


def _pick_author(rng: random.Random, seed: int, shape: str) -> Account:
    # A few accounts post a lot, most rarely (a heavy-tailed share of the pool).
    return _account(seed, shape, int(ACCOUNTS * rng.random() ** 3))


# ---------------------------------------------------------------------------------------------- formats


def _twitter_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _weibo_time(moment: datetime, zone: timezone = BEIJING) -> str:
    # Formatted by hand: %a and %b follow the process's locale, Weibo's names are always English.
    local = moment.astimezone(zone)
    return f"{_WEEKDAYS[local.weekday()]} {_MONTHS[local.month - 1]} {local:%d %H:%M:%S} {local:%z} {local.year}"


def _twitter_user(account: Account) -> dict:
    user = {"id": account.id, "name": account.name, "username": account.handle, "created_at": _twitter_time(account.created_at), "description": account.description}
    if account.location is not None:  # the API leaves out a field the user never set
        user["location"] = account.location
    user["protected"] = False
    user["public_metrics"] = {"followers_count": account.followers, "following_count": account.following, "tweet_count": account.posts, "listed_count": account.followers // 50}
    user["verified"] = False
    return user


def _weibo_user(account: Account) -> dict:
    return {
        "id": int(account.id), "idstr": account.id, "screen_name": account.handle, "name": account.name,
        "location": account.location, "description": account.description, "gender": "n",
        "followers_count": account.followers, "friends_count": account.following, "statuses_count": account.posts,
        "created_at": _weibo_time(account.created_at), "verified": False,
    }


def _entities(text: str, accounts: dict[str, Account]) -> dict:
    """X's entities of a text (offsets in characters), mentions merged with the user as twarc2 flatten does."""
    entities: dict[str, list] = {}
    for match in re.finditer(r"https://t\.co/\w+", text):
        entities.setdefault("urls", []).append({
            "start": match.start(), "end": match.end(), "url": match.group(),
            "expanded_url": f"https://example.org/nyc/{match.group()[13:]}", "display_url": f"example.org/nyc/{match.group()[13:]}",
        })
    for match in re.finditer(r"(?<![\w&])#(\w+)", text):
        entities.setdefault("hashtags", []).append({"start": match.start(), "end": match.end(), "tag": match.group(1)})
    for match in re.finditer(r"(?<![\w.])@(\w{1,15})", text):
        mention = {"start": match.start(), "end": match.end(), "username": match.group(1)}
        account = accounts.get(match.group(1))
        if account is not None:
            mention = {**mention, "id": account.id, **_twitter_user(account)}
        entities.setdefault("mentions", []).append(mention)
    return entities


# ---------------------------------------------------------------------------------------------- posts


def _city_day(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), CITY_TIMEZONE).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), CITY_TIMEZONE).astimezone(timezone.utc)
    return start, end


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    hour = rng.choices(range(24), weights=HOURLY_WEIGHTS)[0]
    seconds = (hour * 3600 + rng.randrange(3600)) % int((end - start).total_seconds())  # a 23-hour day in spring
    return start + timedelta(seconds=seconds)


def _later(rng: random.Random, after: datetime, end: datetime) -> datetime:
    """A moment after ``after`` and before ``end``: mostly within the hour, as reactions come."""
    room = int((end - after).total_seconds()) - 1
    if room < 1:
        return after
    delay = 30 + int(rng.expovariate(1 / 1800))
    return after + timedelta(seconds=delay if delay <= room else rng.randint(1, room))


def _fill(rng: random.Random, text: str, shape: str, **extra: str) -> str:
    lines = ENGLISH_SUBWAY_LINES if shape == "twarc2" else CHINESE_SUBWAY_LINES
    return text.format(line=rng.choice(lines), bus=rng.choice(BUS_ROUTES), minutes=rng.choice((12, 15, 20, 25, 30, 40, 45, 55)), **extra)


def _contact(rng: random.Random, author: Account) -> tuple[str, str]:
    local = author.handle.lower().strip("_") if author.handle.isascii() else f"user{author.id[-6:]}"
    email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
    phone = f"({rng.choice(AREA_CODES)}) 555-01{rng.randint(0, 99):02d}"
    return email, phone


class _Day:
    """The posts of one chunk of one day, built in order: originals, bots, replies, retweets, copies."""

    def __init__(self, day: date, rows: int, seed: int, shape: str, offset: int):
        self.day, self.rows, self.seed, self.shape, self.offset = day, rows, seed, shape, offset
        self.rng = _rng("social", shape, seed, day.isoformat(), offset)
        self.start, self.end = _city_day(day)
        self.accounts: dict[str, Account] = {}
        self.posts: list[_Post] = []
        self.sequence = offset

    # -- records of each shape

    def _new_id(self, created: datetime) -> str:
        self.sequence += 1
        if self.shape == "twarc2":
            return str(_snowflake(created + timedelta(milliseconds=self.rng.randrange(1000)), self.sequence))
        seconds = int(created.timestamp()) - WEIBO_EPOCH_SECONDS
        return str(WEIBO_MID_BASE + seconds * 100_000 + self.sequence % 100_000)

    def _record(self, post_id: str, text: str, created: datetime, author: Account, *, geo: dict | None = None,
                referenced: tuple[str, _Post] | None = None, reply_to: _Post | None = None, retweet_of: _Post | None = None) -> dict:
        self.accounts[author.handle] = author
        if self.shape == "weibo":
            record = {
                "created_at": _weibo_time(created), "id": int(post_id), "idstr": post_id, "mid": post_id, "text": text,
                "source": '<a href="https://weibo.com/" rel="nofollow">iPhone客户端</a>', "favorited": False, "truncated": False,
                "geo": geo, "user": _weibo_user(author),
            }
            if retweet_of is not None:
                record["retweeted_status"] = retweet_of.record
            likes = int(self.rng.expovariate(1 / 5))
            record.update({"reposts_count": int(self.rng.expovariate(1 / 1.5)), "comments_count": int(self.rng.expovariate(1 / 2)), "attitudes_count": likes, "isLongText": False})
            return record
        text = html.escape(text, quote=False)  # the API escapes &, < and > in text
        record = {"id": post_id, "text": text, "created_at": _twitter_time(created), "lang": "en", "author_id": author.id}
        record["conversation_id"] = reply_to.record["conversation_id"] if reply_to else post_id
        record["edit_history_tweet_ids"] = [post_id]
        record["possibly_sensitive"] = False
        record["reply_settings"] = "everyone"
        if retweet_of is not None:  # a retweet echoes its original's retweets and has none of its own engagement
            metrics = {"retweet_count": retweet_of.record["public_metrics"]["retweet_count"], "reply_count": 0, "like_count": 0, "quote_count": 0, "bookmark_count": 0, "impression_count": 0}
        else:
            likes = int(self.rng.expovariate(1 / 6))
            metrics = {
                "retweet_count": int(self.rng.expovariate(1 / 1.5)), "reply_count": int(self.rng.expovariate(1 / 1.2)), "like_count": likes,
                "quote_count": int(self.rng.random() < 0.05), "bookmark_count": int(self.rng.random() < 0.1), "impression_count": likes * self.rng.randint(20, 80) + self.rng.randint(10, 300),
            }
        record["public_metrics"] = metrics
        entities = _entities(text, self.accounts)
        if entities:
            record["entities"] = entities
        if geo is not None:
            record["geo"] = geo
        if referenced is not None:
            kind, target = referenced
            embedded = {key: value for key, value in target.record.items() if key != "__twarc"}  # includes carry no __twarc
            record["referenced_tweets"] = [{"type": kind, "id": target.record["id"], **embedded}]
        if reply_to is not None:
            record["in_reply_to_user_id"] = reply_to.author.id
        record["author"] = _twitter_user(author)
        if reply_to is not None:
            record["in_reply_to_user"] = _twitter_user(reply_to.author)
        return record

    def _location(self, author: Account) -> tuple[dict | None, str, str | None, str | None]:
        """(geo, place text for Weibo, borough, location_source) for an original by ``author``."""
        draw = self.rng.random()
        if draw < COORDINATES_SHARE:
            borough = self.rng.choices(list(BOROUGH_BOXES), weights=(30, 30, 22, 12, 6))[0]
            south, north, west, east = self.rng.choice(BOROUGH_BOXES[borough])
            latitude, longitude = round(self.rng.uniform(south, north), 6), round(self.rng.uniform(west, east), 6)
            if self.shape == "weibo":
                return {"type": "Point", "coordinates": [latitude, longitude]}, "", borough, "coordinates"
            place = next(place for place in PLACES if place[2] == "city" and place[3] == borough)
            return self._place({"place_id": _place_id(place[0]), "coordinates": {"type": "Point", "coordinates": [longitude, latitude]}}, place), "", borough, "coordinates"
        if draw < COORDINATES_SHARE + PLACE_SHARE:
            if self.shape == "weibo":
                name, borough, _ = self.rng.choices(CHINESE_TEXT_PLACES, weights=[place[2] for place in CHINESE_TEXT_PLACES])[0]
                text = self.rng.choice((f"#{name}# ", f"在{name}，"))
                if borough is not None:
                    return None, text, borough, "text"
                return None, text, author.location_borough, "profile" if author.location_borough else None
            place = self.rng.choices(PLACES, weights=[place[4] for place in PLACES])[0]
            geo = self._place({"place_id": _place_id(place[0])}, place)
            if place[3] is not None:
                return geo, "", place[3], "place"
            return geo, "", author.location_borough, "profile" if author.location_borough else None
        return None, "", author.location_borough, "profile" if author.location_borough else None

    def _place(self, geo: dict, place: tuple) -> dict:
        full_name, name, place_type, borough, _ = place
        if borough is None:
            bbox = [-79.76259, 40.477383, -71.777492, 45.015851]  # New York State
        elif place_type == "city":
            bbox = BOROUGH_BBOXES[borough]
        else:  # a neighbourhood's or a point of interest's small box, inside its borough
            south, north, west, east = _rng("place", full_name).choice(BOROUGH_BOXES[borough])
            latitude, longitude = (south + north) / 2, (west + east) / 2
            size = 0.01 if place_type == "neighborhood" else 0.001
            bbox = [round(longitude - size, 6), round(latitude - size, 6), round(longitude + size, 6), round(latitude + size, 6)]
        # twarc2 flatten merges the place's fields into geo (after place_id and coordinates).
        return {**geo, "full_name": full_name, "id": _place_id(full_name), "country": "United States", "country_code": "US",
                "geo": {"type": "Feature", "bbox": bbox, "properties": {}}, "name": name, "place_type": place_type}

    # -- kinds of posts

    def _template(self) -> tuple:
        topic = self.rng.choices(list(TOPIC_WEIGHTS), weights=list(TOPIC_WEIGHTS.values()))[0]
        templates = ENGLISH_TEMPLATES if self.shape == "twarc2" else CHINESE_TEMPLATES
        if topic == "off-topic":
            group = [template for template in templates if not template[0]]
        elif topic == "two themes":
            group = [template for template in templates if len(template[0]) > 1]
        else:
            group = [template for template in templates if template[0] == (topic,)]
        weights = SENTIMENT_WEIGHTS["off-topic" if topic == "off-topic" else "city"]
        sentiment = self.rng.choices(SENTIMENTS, weights=weights)[0]
        return self.rng.choice([template for template in group if template[1] == sentiment] or group)

    def original(self) -> _Post:
        author = _pick_author(self.rng, self.seed, self.shape)
        created = _moment(self.rng, self.start, self.end)
        inserted: tuple[tuple[str, str], ...] = ()
        if self.rng.random() < CONTACT_SHARE:
            themes, sentiment, text = self.rng.choice(ENGLISH_CONTACT_TEMPLATES if self.shape == "twarc2" else CHINESE_CONTACT_TEMPLATES)
            mentioned = _pick_author(self.rng, self.seed, self.shape)
            self.accounts[mentioned.handle] = mentioned
            email, phone = _contact(self.rng, author)
            text = _fill(self.rng, text, self.shape, handle=mentioned.handle, email=email, phone=phone)
            inserted = (("handle", f"@{mentioned.handle}"), ("email", email), ("phone", phone))
        else:
            themes, sentiment, text = self._template()
            text = _fill(self.rng, text, self.shape)
        geo, place_text, borough, source = self._location(author)
        post_id = self._new_id(created)
        record = self._record(post_id, place_text + text, created, author, geo=geo)
        label = Label(post_id, "original", sentiment, _ordered(themes), False, False, None, False, borough, source, ())
        return _Post(record, label, created, author, inserted)

    def bot_posts(self, count: int) -> list[_Post]:
        bots = max(1, min(3, count // 20 + 1)) if count else 0
        posts: list[_Post] = []
        for number in range(bots):
            account = _bot(self.seed, self.shape, number)
            _, themes, template = (ENGLISH_BOTS if self.shape == "twarc2" else CHINESE_BOTS)[number % 3]
            share = count // bots + (1 if number < count % bots else 0)
            line = self.rng.choice(ENGLISH_SUBWAY_LINES if self.shape == "twarc2" else CHINESE_SUBWAY_LINES)
            created = self.start + timedelta(seconds=self.rng.randrange(6 * 3600, 12 * 3600))
            # Every 2 to 6 minutes; faster when a large day asks for more posts than the day has room for.
            step = max(10, min(360, int((self.end - created).total_seconds()) // (share + 1)))
            first_id = None
            for position in range(share):
                created = min(created + timedelta(seconds=self.rng.randint(step // 3, step)), self.end - timedelta(seconds=1))
                clock = created.astimezone(CITY_TIMEZONE).strftime("%H:%M")
                text = template.format(line=line, clock=clock, count=position + 1)
                post_id = self._new_id(created)
                record = self._record(post_id, text, created, account)
                label = Label(post_id, "bot", "neutral", _ordered(themes), True, first_id is not None, first_id, False, None, None, ())
                posts.append(_Post(record, label, created, account))
                first_id = first_id or post_id
        return posts

    def reference(self, original: _Post, kind: str) -> _Post:
        """A retweet, reply or quote of ``original`` by someone else."""
        original.referenced = True
        author = _pick_author(self.rng, self.seed, self.shape)
        created = _later(self.rng, original.created, self.end)
        post_id = self._new_id(created)
        self.accounts[original.author.handle] = original.author
        inserted: tuple[tuple[str, str], ...] = ()
        base = original.label
        source = "profile" if author.location_borough else None
        if kind == "retweet":
            if self.shape == "weibo":
                text = self.rng.choice(RETWEET_COMMENTS_ZH)
                record = self._record(post_id, text, created, author, retweet_of=original)
            else:
                text = f"RT @{original.author.handle}: {html.unescape(original.record['text'])}"
                text = text if len(text) <= 140 else text[:139] + "…"  # the API truncates a retweet's text
                record = self._record(post_id, text, created, author, referenced=("retweeted", original), retweet_of=original)
                inserted = (("handle", f"@{original.author.handle}"),) + original.inserted
            label = replace(base, post_id=post_id, kind="retweet", is_retweet=True, is_duplicate=False, duplicate_of=None,
                            borough=author.location_borough, location_source=source)
        else:
            themes, sentiment, text = self._template()
            text = _fill(self.rng, text, self.shape)
            if kind == "reply":
                text = f"@{original.author.handle} {text}"
                inserted = (("handle", f"@{original.author.handle}"),)
                record = self._record(post_id, text, created, author, referenced=("replied_to", original), reply_to=original)
            else:
                record = self._record(post_id, text, created, author, referenced=("quoted", original))
            label = Label(post_id, kind, sentiment, _ordered(themes), False, False, None, False, author.location_borough, source, ())
        return _Post(record, label, created, author, inserted)

    def near_duplicate(self, original: _Post) -> _Post:
        """An earlier post's text, slightly changed, posted again by its author or copied by someone else."""
        original.referenced = True
        author = original.author if self.rng.random() < 0.5 else _pick_author(self.rng, self.seed, self.shape)
        created = _later(self.rng, original.created, self.end)
        post_id = self._new_id(created)
        text = html.unescape(original.record["text"])
        token = "".join(self.rng.choices("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=10))
        if self.shape == "twarc2":
            changes = (text + "!!", text + " #NYC", f"{text} https://t.co/{token}", text + " (again)", text[:1].upper() + text[1:] + ".")
        else:
            changes = (text + "！！", "#纽约# " + text, f"{text} http://t.cn/{token[:8]}", text + "（再发一次）")
        record = self._record(post_id, self.rng.choice(changes), created, author)
        if original.label.location_source == "text":  # the copied text still names its place
            borough, source = original.label.borough, "text"
        else:  # coordinates and places stay with the original
            borough, source = author.location_borough, "profile" if author.location_borough else None
        label = replace(original.label, post_id=post_id, kind="near_duplicate", is_duplicate=True, duplicate_of=original.label.post_id,
                        borough=borough, location_source=source)
        return _Post(record, label, created, author, original.inserted)


def _place_id(full_name: str) -> str:
    return sha1(full_name.encode()).hexdigest()[:16]


def _ordered(themes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(theme for theme in THEMES if theme in themes)


def _counts(rows: int, shape: str) -> dict[str, int]:
    """How many lines of each kind a chunk of ``rows`` holds (originals: the rest, at least half)."""
    if rows < 20:
        return {"retweet": 0, "reply": 0, "quote": 0, "near_duplicate": 0, "exact_duplicate": 0, "bot": 0}
    counts = {
        "retweet": round(rows * RETWEET_SHARE), "reply": round(rows * REPLY_SHARE) if shape == "twarc2" else 0,
        "quote": round(rows * QUOTE_SHARE) if shape == "twarc2" else 0, "near_duplicate": round(rows * NEAR_DUPLICATE_SHARE),
        "exact_duplicate": max(1, round(rows * EXACT_DUPLICATE_SHARE)), "bot": round(rows * BOT_SHARE),
    }
    return counts


def _serialise(record: object, shape: str) -> str:
    # twarc2 writes json.dumps' defaults (ASCII, \\u escapes); Weibo exports keep Chinese as UTF-8.
    return json.dumps(record, ensure_ascii=shape == "twarc2")


def _twarc_metadata(page: int, start: datetime, end: datetime, rng_token: str) -> dict:
    parameters = {**TWARC_PARAMETERS, "query": TWARC_QUERY, "start_time": start.strftime("%Y-%m-%dT%H:%M:%S+00:00"), "end_time": end.strftime("%Y-%m-%dT%H:%M:%S+00:00"), "max_results": 100}
    if page:
        parameters["next_token"] = sha1(f"{rng_token}:{page}".encode()).hexdigest()[:32]
    retrieved = end + timedelta(hours=2, seconds=3 * page)
    return {"url": "https://api.twitter.com/2/tweets/search/all?" + urlencode(parameters), "version": TWARC_VERSION, "retrieved_at": retrieved.isoformat(timespec="seconds")}


def _defective(post: _Post, kind: str, shape: str, rng: random.Random) -> str:
    """The line of ``post`` with defect ``kind``."""
    if kind == "empty_line":
        return ""
    if kind == "truncated_json":
        return post.line[: rng.randint(len(post.line) // 3, len(post.line) - 2)]  # never valid: the closing brace is gone
    if kind == "json_array":
        return f"[{post.line}]"
    record = dict(post.record)
    if kind == "id_missing":
        for name in ("id", "idstr", "mid"):
            record.pop(name, None)
    elif kind == "created_at_missing":
        del record["created_at"]
    elif kind == "created_at_unknown_format":
        record["created_at"] = _weibo_time(post.created, timezone.utc) if shape == "twarc2" else f"今天 {post.created.astimezone(BEIJING):%H:%M}"
    elif kind == "lang_unknown":
        record["lang"] = "xx"
    elif kind == "text_empty":
        record["text"] = ""
        record.pop("entities", None)
    return _serialise(record, shape)


def generate_day(day: date, rows: int, seed: int, defect_share: float, shape: str = "twarc2", offset: int = 0) -> list[GeneratedLine]:
    """The ``rows`` lines of one chunk of ``day``'s delivery (``offset``: of the chunk), each with its label."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; use one of {SHAPES}")
    if rows <= 0:
        return []
    builder = _Day(day, rows, seed, shape, offset)
    rng = builder.rng
    counts = _counts(rows, shape)
    originals = [builder.original() for _ in range(rows - sum(counts.values()))]
    posts = originals + builder.bot_posts(counts["bot"])
    referable = [post for post in originals if post.created < builder.end - timedelta(seconds=2)] or originals
    for kind in ("reply", "quote", "retweet"):
        posts += [builder.reference(rng.choice(referable), kind) for _ in range(counts[kind])]
    posts += [builder.near_duplicate(rng.choice(referable)) for _ in range(counts["near_duplicate"])]
    posts.sort(key=lambda post: (post.created, int(post.label.post_id)), reverse=True)  # newest first, as a search returns them
    token = f"{seed}:{shape}:{day}"
    pages: dict[int, dict] = {}
    for position, post in enumerate(posts):
        post.page = (offset + position) // PAGE_SIZE
        if shape == "twarc2":  # one API request per page of results
            if post.page not in pages:
                pages[post.page] = _twarc_metadata(post.page, builder.start, builder.end, token)
            post.record["__twarc"] = pages[post.page]
        post.line = _serialise(post.record, shape)
    lines = [[post, post.line, None] for post in posts]
    # Exact duplicates: a line delivered again, byte for byte, somewhere after the first.
    for _ in range(counts["exact_duplicate"]):
        source_position = rng.randrange(len(lines))
        post = lines[source_position][0]
        post.referenced = True
        lines.insert(rng.randint(source_position + 1, len(lines)), [post, post.line, "copy"])
    # Defects replace lines of originals nothing else refers to, in equal numbers per kind.
    eligible = [index for index, (post, _, role) in enumerate(lines) if role is None and post.label.kind == "original" and not post.referenced]
    rng.shuffle(eligible)
    kinds = DEFECTS[shape]
    defects = {index: kinds[number % len(kinds)] for number, index in enumerate(eligible[: round(rows * defect_share)])}
    generated = []
    for index, (post, line, role) in enumerate(lines):
        label = _label_of(post, post.inserted, post.record.get("text", ""))
        if role == "copy":
            generated.append(GeneratedLine(line, replace(label, kind="exact_duplicate", is_duplicate=True, duplicate_of=label.post_id), None))
        elif index in defects:
            kind = defects[index]
            generated.append(GeneratedLine(_defective(post, kind, shape, rng), None if kind == "empty_line" else label, kind))
        else:
            generated.append(GeneratedLine(line, label, None))
    return generated


def _label_of(post: _Post, inserted: tuple[tuple[str, str], ...], text: str) -> Label:
    # Personal data the text still holds (a retweet's truncation may have cut some off).
    found = tuple(sorted({kind for kind, value in inserted if html.escape(value, quote=False) in text or value in text}))
    return replace(post.label, personal_data_in_text=found)


def labelled_posts(seed: int, rows: int, day: date = EXAMPLE_DAY, shape: str = "twarc2", defect_share: float = 0.0) -> list[tuple[dict, Label]]:
    """The well-formed posts of a day's delivery, parsed, each with its ground-truth label (for tests and benchmarks)."""
    posts = []
    for offset in range(0, rows, CHUNK_ROWS):
        for line in generate_day(day, min(CHUNK_ROWS, rows - offset), seed, defect_share, shape, offset):
            if line.defect is None:
                posts.append((json.loads(line.text), line.label))
    return posts


def write_day(inbox: Path, day: date, rows: int, seed: int, defect_share: float, shape: str = "twarc2") -> Path:
    """Write one day's delivery as ``<inbox>/social_posts/<day>/<shape's file name>`` (in chunks)."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; use one of {SHAPES}")
    folder = inbox / raw.SOURCE / day.isoformat()
    name = FILE_NAMES[shape].format(day=day.isoformat())
    with delivery_file(folder, name) as partial:
        with open(partial, "w", encoding="utf-8", newline="\n") as output:
            for offset in range(0, rows, CHUNK_ROWS):
                for line in generate_day(day, min(CHUNK_ROWS, rows - offset), seed, defect_share, shape, offset):
                    output.write(line.text + "\n")
    return folder / name


def write_range(inbox: Path, first: date, last: date, rows: int, seed: int = 2024, defect_share: float = 0.02, shape: str = "twarc2") -> list[Path]:
    """Deliveries for every day from ``first`` to ``last``; every fourth day re-delivers the day before."""
    return deliver_range(inbox, raw.SOURCE, days(first, last), lambda day: write_day(inbox, day, rows, seed, defect_share, shape), bool(defect_share))
