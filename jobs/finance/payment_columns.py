"""The columns of a payments extract, without Spark, so that landing (in the Airflow worker) can check them.

One CSV a day, as a core banking system exports it: ``transaction_id, timestamp, from_account,
to_account, amount, currency, channel, counterparty_country, merchant_category``. ``timestamp`` is ISO
8601 with its zone offset (the bank books in its own time); ``amount`` is in ``currency`` (ISO 4217);
``channel`` is cash, card, wire or mobile; ``counterparty_country`` is ISO 3166 alpha-2;
``merchant_category`` is an ISO 18245 code for card payments (``payroll`` marks a salary run), empty
otherwise.

Personal data (classified in jobs/finance/declarations.yaml): the account numbers identify their
holders (pseudonymised past bronze); the transaction id is the bank's reference, kept so an
investigator can open the payment in the bank's own system.
"""

from __future__ import annotations

from jobs.landing import DeliveryColumns

SOURCE = "bank_payments"

COLUMNS = ("transaction_id", "timestamp", "from_account", "to_account", "amount", "currency", "channel", "counterparty_country", "merchant_category")
REQUIRED = ("transaction_id", "timestamp", "from_account", "to_account", "amount", "currency")

REQUIRED_COLUMNS = DeliveryColumns(spellings=(REQUIRED,), layouts=(COLUMNS,))
