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


# streamd's files call each other one way: streamd.h's header comment lists
# them from the top (main.c) down, and a file calls only files listed below
# it.  A lower file tells a higher one through a callback it was given.
STREAMD = "streamd"
C_NOISE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
DEFINITION = re.compile(r'^([A-Za-z_]\w*)\(', re.M)
IDENTIFIER = re.compile(r'[A-Za-z_]\w*')


def _code(path):
    with open(path) as f:
        return C_NOISE.sub(" ", f.read())


def streamd_calls():
    """{file: {other file whose functions it calls or names}}."""
    folder = os.path.join(ROOT, STREAMD)
    code = {n: _code(os.path.join(folder, n))
            for n in sorted(os.listdir(folder)) if n.endswith(".c")}
    owner = {}
    for name, text in code.items():
        for m in DEFINITION.finditer(text):
            before = text[:m.start()].rstrip().rsplit("\n", 1)[-1]
            if not before.lstrip().startswith("static"):
                owner[m.group(1)] = name
    return {name: {owner[w] for w in set(IDENTIFIER.findall(text))
                   if w in owner and owner[w] != name}
            for name, text in code.items()}


def streamd_layers():
    """The files in streamd.h's header comment, top first: [[file, ...], ...]."""
    with open(os.path.join(ROOT, STREAMD, "streamd.h")) as f:
        header = f.read().split("*/", 1)[0]
    block = header.split("Calls go one way", 1)[1]
    layers = []
    for line in block.splitlines():
        files = re.findall(r'\b(\w+\.c)\b', line.split("--", 1)[0])
        if re.match(r'^ \*\s+\w+\.c\b', line) and files:
            layers.append(files)
    return layers


def test_streamd_files_call_each_other_without_a_circle():
    calls = streamd_calls()
    state = {}  # 1: on the path, 2: done

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(calls[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                raise AssertionError("streamd calls in a circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(calls):
        if node not in state:
            visit(node, [node])


def test_streamd_calls_go_down_the_order_its_header_draws():
    layers = streamd_layers()
    rank = {f: i for i, files in enumerate(layers) for f in files}
    calls = streamd_calls()
    assert sorted(rank) == sorted(calls), "streamd.h's header must list every streamd/*.c once"
    bad = [f"{a} calls {b}" for a in sorted(calls) for b in sorted(calls[a])
           if rank[b] <= rank[a]]
    assert bad == []


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
