"""The columns of a consent registry delivery, without Spark, so that landing (in the Airflow worker) can check them.

One CSV a day, as the consent management system exports the day's changes: ``subject_kind, subject_identifier,
purpose, status, effective_from``. ``subject_kind`` is a kind of data subject a domain declares (``subjects:``),
``subject_identifier`` the identifier that kind is named by (clear, personal: it stays in the restricted zones),
``purpose`` one of the purposes the lake's tables declare, ``status`` granted or withdrawn, ``effective_from``
the ISO 8601 day from which it holds.
"""

from __future__ import annotations

from jobs.landing import DeliveryColumns

SOURCE = "consent_registry"

COLUMNS = ("subject_kind", "subject_identifier", "purpose", "status", "effective_from")
STATUSES = ("granted", "withdrawn")

REQUIRED_COLUMNS = DeliveryColumns(spellings=(COLUMNS,), layouts=(COLUMNS,))
