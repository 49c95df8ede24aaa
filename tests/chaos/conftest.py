"""Fixtures of the chaos suite: the e2e helpers (tests/e2e/loomtest.py,
supervise.py) and its fixtures, for tests that break things on purpose.

    sv_chaos      all four daemons under runit (scripts/run, as `make run`
                  runs them), test-hook builds: sv_chaos.advance() moves
                  their clock; Ctrl-C at the end must stop everything with
                  exit 0 and leave no process behind
    loom, loom_clock, markers daemons/env: as in tests/e2e/conftest.py
"""

import importlib.util
import os
import sys

import pytest

E2E = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e")
sys.path.insert(0, os.path.abspath(E2E))

from supervise import need_all, run_supervised  # noqa: E402

# The e2e suite's fixtures, from its conftest.py (loaded under another name:
# when both suites run, pytest has loaded it as a conftest too).
_spec = importlib.util.spec_from_file_location("e2e_conftest", os.path.join(E2E, "conftest.py"))
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)
loom = _e2e.loom
loom_clock = _e2e.loom_clock
pytest_runtest_makereport = _e2e.pytest_runtest_makereport
pytest_configure = _e2e.pytest_configure

@pytest.fixture
def sv_chaos(request):
    need_all(testhooks=True)
    yield from run_supervised(request, testhooks=True)
