"""
### citylake pipelines: one DAG per declared source and product

Not a DAG itself: this file builds a DAG for every ingestion (landed files to gold, one run per logical
date), every snapshot (a reference list delivered whole, published as a new version when it changes) and
every product (gold over several inputs, scheduled on their Assets) declared in
`jobs/<domain>/declarations.yaml`. Each DAG's own `doc_md` (what it produces, what to do when it fails)
is the Markdown file its declaration names, in the same folder. A new source is a new folder with its
declarations, code and suites: nothing here changes.
"""

from __future__ import annotations

from jobs.airflow_support import product_dag, snapshot_dag, source_dag
from jobs.declarations import registry

for _ingestion in registry().ingestions.values():
    globals()[_ingestion.dag_id] = source_dag(_ingestion)
for _snapshot in registry().snapshots.values():
    globals()[_snapshot.dag_id] = snapshot_dag(_snapshot)
for _product in registry().products.values():
    globals()[_product.dag_id] = product_dag(_product)
