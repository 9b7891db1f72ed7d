"""The columns of a KYC (accounts) extract, without Spark, so that landing (in the Airflow worker) can check them.

One CSV a day, as a bank's customer system exports the records of its active accounts:
``account_id, customer_name, date_of_birth, national_id, phone, address, country, opening_date,
customer_type``. Dates are ISO 8601; ``date_of_birth`` is empty for a business; ``country`` is ISO
3166 alpha-2; ``customer_type`` is individual or business.

Personal data (classified in jobs/finance/declarations.yaml): everything but the country, the opening
date and the customer type identifies a person. Clear values stay in the restricted zones (bronze,
quarantine), where sanctions screening reads the names; past them only keyed pseudonyms and a birth year.
"""

from __future__ import annotations

from jobs.landing import DeliveryColumns

SOURCE = "bank_accounts"

COLUMNS = ("account_id", "customer_name", "date_of_birth", "national_id", "phone", "address", "country", "opening_date", "customer_type")
REQUIRED = ("account_id", "customer_name", "customer_type")
CUSTOMER_TYPES = ("individual", "business")

REQUIRED_COLUMNS = DeliveryColumns(spellings=(REQUIRED,), layouts=(COLUMNS,))
