"""The Celery application.

With ``REDIS_URL`` unset, settings make every task run eagerly in-process (the embedded default);
with it set, tasks go through Redis to a worker started with ``celery -A tcfo_portal worker``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tcfo_portal.settings")

app = Celery("tcfo_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
