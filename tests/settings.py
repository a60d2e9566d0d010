"""Settings of the test suite: the production settings (DEBUG off), with what a test run needs.

pytest loads these (``DJANGO_SETTINGS_MODULE`` in pyproject.toml). The suite does not depend on
DEBUG: it runs with DEBUG off, so it has a secret key of its own (the development key is refused
with DEBUG off); a ``DJANGO_SECRET_KEY`` in the environment wins. Subprocesses started by tests
inherit that key through the environment.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-only-" + "not-a-secret-" * 4)

from tcfo_portal.settings import *  # noqa: F403
from tcfo_portal.settings import REST_FRAMEWORK, STORAGES

# The test client and the live server speak plain HTTP.
SECURE_SSL_REDIRECT = False

# Static files as in production: a manifest of hashed names (without the compressed copies, which
# take a minute), collected once per test session into a folder of the run's own
# (tests/conftest.py) and served by WhiteNoise, the live server's too. A page linking a file that
# does not exist fails its test, as it would answer 500 in production. Subprocesses on these
# settings inherit the folder through the environment.
# With pytest-xdist each worker process has a folder of its own (it collects and removes it).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if "TCFO_TEST_STATIC_ROOT" not in os.environ or os.environ.get("TCFO_TEST_STATIC_OF") != _worker:
    os.environ["TCFO_TEST_STATIC_ROOT"] = tempfile.mkdtemp(prefix="tcfo-test-static-")
    os.environ["TCFO_TEST_STATIC_OF"] = _worker
STATIC_ROOT = Path(os.environ["TCFO_TEST_STATIC_ROOT"])
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
# WhiteNoise looks a file up in STATIC_ROOT when it is asked for, instead of listing the ~900
# collected files each time a test's client loads the middleware (~45 ms, every test).
WHITENOISE_AUTOREFRESH = True

# No throttling: tests/api/test_throttling.py turns it on with rates and a cache of its own.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
}

# The webhook tests' receivers listen on 127.0.0.1 (tests/events/test_webhook_delivery.py turns
# it off).
TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS = True
