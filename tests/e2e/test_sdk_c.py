"""The C SDK (libloomcrons) against the real running system.

The checks are C: tests/sdk/test_sdk_c.c (cmocka, built with ASan and
UBSan).  This test starts a fresh system, builds that program if it is
missing or older than its sources, runs it with LOOM_URL and LOOM_TOKEN
pointing at the system, and requires every C test to pass with no
sanitizer report.
"""

import glob
import os
import subprocess

from loomtest import BUILD

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PROGRAM = os.path.join(os.path.abspath(BUILD), "asan", "sdk", "test_sdk_c")
SOURCES = glob.glob(os.path.join(REPO, "sdk", "c", "*.[ch]")) + \
    [os.path.join(REPO, "tests", "sdk", "test_sdk_c.c")]


def program():
    """Path of the test program, built (by make, into LOOM_BUILD) when stale."""
    if not os.path.exists(PROGRAM) or \
            os.path.getmtime(PROGRAM) < max(os.path.getmtime(s) for s in SOURCES):
        r = subprocess.run(["make", "-s", "-C", REPO, "B=" + os.path.abspath(BUILD), PROGRAM],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
    return PROGRAM


def test_c_sdk_against_the_running_system(loom):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LOOM_URL": loom.base_url,
        "LOOM_TOKEN": loom.admin_token,
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:halt_on_error=1",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    }
    r = subprocess.run([program()], env=env, capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "[  PASSED  ] 11 test(s)." in out, out
    assert "runtime error" not in out and "Sanitizer" not in out, out
