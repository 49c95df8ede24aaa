"""The source tree keeps its dependency direction (README: Repository layout).

common/lib <- common/proto <- common/daemon <- each daemon and tool: a file
includes headers of its own folder or of the layers before it, never of a
later layer, and no daemon includes another daemon's headers.
"""

import os
import re

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
LAYERS = ["common/lib", "common/proto", "common/daemon"]
DAEMONS = ["ingestd", "storaged", "schedd", "streamd"]
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)


def headers_in(folder):
    return {f for f in os.listdir(os.path.join(ROOT, folder)) if f.endswith(".h")}


def sources_in(folder):
    for name in sorted(os.listdir(os.path.join(ROOT, folder))):
        if name.endswith((".c", ".h")):
            with open(os.path.join(ROOT, folder, name)) as f:
                yield name, INCLUDE.findall(f.read())


def test_common_layers_include_only_earlier_layers():
    owner = {h: layer for layer in LAYERS for h in headers_in(layer)}
    bad = []
    for i, layer in enumerate(LAYERS):
        allowed = set(LAYERS[:i + 1])
        for name, includes in sources_in(layer):
            bad += [f"{layer}/{name} includes {h} ({owner.get(h, 'not in common/')})"
                    for h in includes if owner.get(h) not in allowed]
    assert bad == []


def test_no_daemon_includes_another_daemons_headers():
    bad = []
    for daemon in DAEMONS:
        others = [d for d in DAEMONS if d != daemon]
        for name, includes in sources_in(daemon):
            bad += [f"{daemon}/{name} includes {h}" for h in includes
                    if any(o in h.split("/") for o in others) or
                    (h in set().union(*(headers_in(o) for o in others)) and
                     h not in headers_in(daemon))]
    assert bad == []


def test_common_has_no_loose_files():
    loose = [f for f in os.listdir(os.path.join(ROOT, "common"))
             if os.path.isfile(os.path.join(ROOT, "common", f))]
    assert loose == [], "put each file of common/ in lib/, proto/ or daemon/"


MSGPACK_KEY = re.compile(r'mp(r|w)_[a-z_]*\([^,]*, *"')


def test_no_msgpack_key_outside_proto():
    """Every message's keys live in common/proto/'s tables (test_proto.c checks
    each is named once per message); daemons fill and read structs."""
    bad = []
    for folder in DAEMONS + [os.path.join("tools", t) for t in
                             sorted(os.listdir(os.path.join(ROOT, "tools")))]:
        if not os.path.isdir(os.path.join(ROOT, folder)):
            continue
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".c"):
                with open(os.path.join(ROOT, folder, name)) as f:
                    bad += [f"{folder}/{name}:{i}: {line.strip()}"
                            for i, line in enumerate(f, 1) if MSGPACK_KEY.search(line)]
    assert bad == []
