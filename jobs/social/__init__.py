"""Social posts about city services (issue #14): the source's columns, and where in the city a place string points.

Two reference files, versioned with the code in ``jobs/reference/``, drive this source:

- ``nyc_gazetteer.csv`` (``name,borough,kind``): the five boroughs (``borough``), well-known neighbourhoods
  (``neighbourhood``) and other spellings of either (``spelling``: abbreviations, nicknames, common typos,
  county names, Chinese names). A name that stands for the whole city ("NYC", "New York", 纽约) is not in it
  on purpose: it says nothing about the borough. ``jobs.social.gazetteer`` reads it.
- ``social_topics.csv`` (``version,theme,language,keyword``): the keywords that put a post under one of the
  city themes of ``jobs.themes.THEMES``. How a keyword matches: case-insensitively, after the same
  normalisation as the gazetteer (accents dropped, ``.`` and ``'`` removed, other punctuation a blank); a
  Latin keyword matches whole words or phrases only, and one ending in ``*`` also matches as a word prefix
  (``delay*``: delay, delays, delayed); a Chinese keyword matches anywhere in the text. A post's themes are
  every theme with a keyword in its text, whatever the keyword's language (Chinese posts name the MTA too);
  a post with none is about no city theme. ``version`` changes with every reviewed edit of the file, so a
  table can say which taxonomy labelled it.
"""
