"""Fixtures of the e2e suite: a whole Loom Crons system per test.

    loom          the release binaries, all daemons that are built
    loom_clock    the test-hook binaries: loom_clock.advance(seconds) moves time

Mark a test with @pytest.mark.daemons("storaged", "schedd") to start only
some, and with @pytest.mark.env(LOOM_X="1") to add to their environment.  Teardown sends SIGTERM and fails the test unless every daemon exits
0 within 5 s; daemon logs are printed when a test fails.
"""

import pytest

from loomtest import Loom


def pytest_configure(config):
    config.addinivalue_line("markers", "daemons(*names): start only these daemons")
    config.addinivalue_line("markers", "env(**vars): extra environment of the daemons")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _system(request, testhooks):
    marker = request.node.get_closest_marker("daemons")
    env = request.node.get_closest_marker("env")
    system = Loom(daemons=list(marker.args) if marker else None, testhooks=testhooks,
                  env=env.kwargs if env else None)
    try:
        system.start()
    except Exception:
        print(system.logs())
        system.stop()
        system.cleanup()
        raise
    yield system
    codes = system.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(system.logs())
    bad = {n: c for n, c in codes.items() if c != 0}
    system.cleanup()
    if bad:
        pytest.fail(f"daemons did not stop cleanly on SIGTERM (exit codes): {bad}")


@pytest.fixture
def loom(request):
    yield from _system(request, testhooks=False)


@pytest.fixture
def loom_clock(request):
    yield from _system(request, testhooks=True)
