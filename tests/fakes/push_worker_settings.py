"""The settings of a Celery worker that pushes to a local fake push service (tests.fakes.push) in another
process (bench/conversation.py): the app's settings, with the fake's exact origin(s) from the environment let
through (PUSH_TEST_ORIGINS is test-only and deliberately not read from the environment by
schoolbook.settings)."""

import os

from schoolbook.settings import *  # noqa: F403

PUSH_TEST_ORIGINS = [origin for origin in os.environ.get("PUSH_TEST_ORIGINS", "").split(",") if origin]
