"""Settings of the test suite: the production settings (DEBUG off), with what a test run needs.

pytest loads these (``DJANGO_SETTINGS_MODULE`` in pyproject.toml). The suite does not depend on
DEBUG: it runs with DEBUG off, so it has a secret key of its own (the development key is refused
with DEBUG off); a ``DJANGO_SECRET_KEY`` in the environment wins. Subprocesses started by tests
inherit that key through the environment.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-only-" + "not-a-secret-" * 4)

from tcfo_portal.settings import *  # noqa: F403
from tcfo_portal.settings import REST_FRAMEWORK, STORAGES

# The test client and the live server speak plain HTTP.
SECURE_SSL_REDIRECT = False

# Nothing is collected: static files come from the apps' folders (the live server serves them
# through the finders), so pages link their plain names instead of a manifest's hashed ones.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# No throttling: tests/api/test_throttling.py turns it on with rates and a cache of its own.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
}
