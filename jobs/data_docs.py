"""Great Expectations Data Docs for one run, built to render offline.

Every validation a run performs (:func:`jobs.quality.validate`) is kept in memory; at the end of the run
they are rendered into one Data Docs site per run, ``<reports_root>/data_docs/<run>/index.html``, which
the lake-level report links to. The sites' static files (styles, images, scripts: some 7 MB) are the
same for every run, so they are put once under ``data_docs/static-<fingerprint>/`` and every run's pages
point there; the fingerprint changes with Great Expectations' version and the pinned assets, so an
upgrade gets a folder of its own instead of mixing files with the old one. Data Docs as Great Expectations generates them load Bootstrap, jQuery,
Vega and Font Awesome from public CDNs; here every such URL is rewritten to a copy inside the site, taken
from the assets set-up fetched and pinned (``jobs/reference/web_assets.tsv``; integrity in
``infra/web_assets/assets.lock``), so the pages render with no network.
Results are kept with the BASIC result format and no partial unexpected values, so the pages hold
counts and observed values only, never rows.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from jobs.settings import Settings

VENDOR_FOLDER = "vendor"  # inside static/
VENDOR = f"static/{VENDOR_FOLDER}"
SITES = "data_docs"  # under the reports root
COMPLETE = "_COMPLETE"  # marks a shared static folder whose every file is in place
# Raise when make_offline changes what it copies or where: the shared static folder is then put anew.
SHARED_STATIC_LAYOUT = 1
# Great Expectations' hosted images (its logo) are also in every site's static/images/.
_HOSTED_IMAGES = re.compile(r'https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/([^"?]*)(\?[^"]*)?')
# The site's own static files, however deep the page (GE miscounts the depth of some validation pages).
_SITE_STATIC = re.compile(r'(href|src)="(?:\.{1,2}/)*static/')
# Links to Great Expectations' website: not ours, and dead offline.
_WEBSITE_LINK = re.compile(r'href="https?://(?:[a-z0-9-]+\.)*greatexpectations\.io[^"]*"')


class MissingAssetsError(RuntimeError):
    """The pinned web assets are not where set-up puts them."""


def asset_map() -> list[tuple[str, str, str]]:
    """(CDN URL prefix, package, path inside the package), longest prefix first.

    The manifest is package data (``jobs/reference/web_assets.tsv``): it travels with the job code.
    """
    rows = []
    for line in resources.files("jobs.reference").joinpath("web_assets.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            spec, url, inner = (line.split("\t") + [""])[:3]
            rows.append((url, spec.rsplit("@", 1)[0], inner))
    return sorted(rows, key=lambda row: len(row[0]), reverse=True)


def site_key(dag_id: str, run_id: str) -> str:
    """Where a run's site lives under the reports root (the lake report links to it)."""
    from jobs.report import page_name

    return f"{SITES}/{page_name(dag_id, run_id).removesuffix('.html')}"


def shared_static_folder() -> str:
    """The shared static folder's name: one per Great Expectations version and set of pinned assets."""
    import great_expectations as gx

    manifest = resources.files("jobs.reference").joinpath("web_assets.tsv").read_bytes()
    made = f"{gx.__version__}\0{SHARED_STATIC_LAYOUT}".encode()
    return "static-" + hashlib.sha256(made + b"\0" + manifest).hexdigest()[:12]


def publish_run_site(settings: Settings, dag_id: str, run_id: str, validations: list) -> str | None:
    """Build the run's site and put it under the reports root (a folder or S3); returns its index.

    The static files go to the shared folder beside the sites, unless an earlier run put them there.
    """
    from jobs.landing import store_for

    if not validations:
        return None
    shared = shared_static_folder()
    with tempfile.TemporaryDirectory(prefix="citylake-site-") as scratch:
        site = Path(scratch) / "site"
        build_site(validations, site, Path(settings.web_assets_dir), static=f"../{shared}")
        store = store_for(settings.reports_root)
        static = site / "static"
        for path in sorted(site.rglob("*")):
            if path.is_file() and static not in path.parents:
                store.put_file(f"{site_key(dag_id, run_id)}/{path.relative_to(site)}", path)
        if COMPLETE not in store.names(f"{SITES}/{shared}/"):
            for path in sorted(static.rglob("*")):
                if path.is_file():
                    store.put_file(f"{SITES}/{shared}/{path.relative_to(static)}", path)
            # Written last: a run that died half-way through the upload leaves it to the next run.
            store.put_text(f"{SITES}/{shared}/{COMPLETE}", "")
    return store.uri(f"{site_key(dag_id, run_id)}/index.html")


def build_site(validations: list, target: Path, assets: Path, static: str = "static") -> Path:
    """Render ``validations`` (suite, outcome, batch label) into a Data Docs site at ``target``.

    ``assets`` is the folder of pinned web assets the site's pages are pointed at (made offline), copied
    into the site's ``static/``; the pages load their static files from ``static``, relative to the site.
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier, ValidationResultIdentifier

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    building = Path(tempfile.mkdtemp(prefix="citylake-data-docs-"))
    try:
        context.add_data_docs_site(
            site_name="citylake",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(building)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        suites = set()
        for position, (suite, outcome, batch_label) in enumerate(validations):
            if suite.name not in suites:
                context.suites.add(_suite_as_applied(suite, outcome))
                suites.add(suite.name)
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
                run_id=RunIdentifier(run_name=f"{position:03d}-{suite.name}"),
                batch_identifier=re.sub(r"[^A-Za-z0-9._-]", "_", batch_label),
            )
            context.validation_results_store.set(key, outcome)
        context.build_data_docs(site_names=["citylake"])
        make_offline(building, assets, static)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(building, target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target / "index.html"


def _suite_as_applied(suite, outcome):
    """The suite's page as the run applied it: its expectations with the values the outcome's are bound to
    (the first batch's, when a run validates several with one suite: each batch's own page shows its values).

    A suite's ``{"$PARAMETER": name}`` placeholders are filled per run (``quality.bind_parameters``); rendered
    unfilled, Great Expectations 1.x's ordered-columns renderer fails (``KeyError: 0``) and drops the check.
    """
    import great_expectations as gx

    expectations = []
    for result in outcome.results:
        config = result.expectation_config.to_json_dict()
        config.pop("id", None)
        config["kwargs"].pop("batch_id", None)
        expectations.append(config)
    return gx.ExpectationSuite(name=suite.name, expectations=expectations, meta=suite.meta)


def make_offline(site: Path, source: Path, static: str = "static") -> None:
    """Rewrite every CDN URL in the site's pages to a copy, taken from ``source``, in the site's ``static/``.

    The pages load static files from ``static`` (relative to the site), where the site's ``static/`` is put.
    """
    mapping = asset_map()
    missing = sorted({package for _, package, _ in mapping if not (source / package).is_dir()})
    if missing:
        raise MissingAssetsError(f"web assets {missing} are missing from {source} (CITYLAKE_WEB_ASSETS_DIR); run `make setup`")
    used: set[tuple[str, str]] = set()
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        to_root = os.path.relpath(site, page.parent)
        for url, package, inner in mapping:
            pattern = re.compile(re.escape(url) + r'([^"\'\s)]*)')

            def local(match, package=package, inner=inner):
                relative = (inner + match.group(1)).lstrip("/")
                used.add((package, relative))
                return f"{to_root}/{static}/{VENDOR_FOLDER}/{package}/{relative}"

            text = pattern.sub(local, text)
        text = _SITE_STATIC.sub(lambda match: f'{match.group(1)}="{to_root}/{static}/', text)
        text = _HOSTED_IMAGES.sub(lambda match: f"{to_root}/{static}/images/{match.group(1)}", text)
        text = _WEBSITE_LINK.sub('href="#"', text)
        page.write_text(text, encoding="utf-8")
    for package, relative in used:
        copied = site / VENDOR / package / relative
        copied.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / package / relative, copied)
        if relative.endswith(".css"):
            # Stylesheets load fonts and images relative to themselves (Font Awesome's ../webfonts/).
            for reference in re.findall(r'url\(["\']?([^"\')?#]+)', (source / package / relative).read_text(encoding="utf-8", errors="replace")):
                if reference.startswith(("data:", "http")):
                    continue
                asset = (source / package / relative).parent / reference
                if asset.is_file():
                    target = copied.parent / reference
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(asset, target)
