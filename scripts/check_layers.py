#!/usr/bin/env python3
"""Checks the layering of src/ (see NOTES.md): a module imports only from the
layers below its own, and the files inside one module directory import each
other without a circle. Test modules (after `#[cfg(any(test, feature =
"pg_test"))]`) and lib.rs (which wires everything) are not checked.

Usage: scripts/check_layers.py   (exits non-zero and lists what is wrong)
"""
import pathlib
import re
import sys

# Lowest first; a module may import only from modules of a lower layer.
LAYERS = [
    ["errors", "ids", "vocabulary"],
    ["spi", "privileged", "regclass", "jwt", "settings", "trigger_entry", "functions"],
    ["context"],
    ["registry"],
    ["access"],
    ["session"],
    ["audit"],
    ["sharing"],
    ["installer"],
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}
EXEMPT = {"lib", "testing"}
TEST_MARK = '#[cfg(any(test, feature = "pg_test"))]'

src = pathlib.Path(__file__).resolve().parent.parent / "src"
problems = []
# (top module, file stem) -> set of file stems of the same top module it uses
inner = {}

for path in sorted(src.rglob("*.rs")):
    parts = path.relative_to(src).with_suffix("").parts
    top = parts[0]
    if top in EXEMPT:
        continue
    if top not in LEVEL:
        problems.append(f"{path}: module {top} is in no layer (add it to LAYERS and NOTES.md)")
        continue
    stem = parts[1] if len(parts) > 1 else "mod"
    code = path.read_text()
    code = code.split(TEST_MARK)[0]
    code = re.sub(r"//.*", "", code)
    for used in sorted(set(re.findall(r"\bcrate::(\w+)", code))):
        if used == top:
            continue
        if used not in LEVEL:
            problems.append(f"{path}: uses crate::{used}, which is in no layer")
        elif LEVEL[used] >= LEVEL[top]:
            problems.append(
                f"{path}: {top} (layer {LEVEL[top]}) uses {used} (layer {LEVEL[used]}), which is not below it"
            )
    if len(parts) > 1 or path.name == "mod.rs":
        uses = set(re.findall(rf"\bcrate::{top}::(\w+)", code))
        uses |= set(re.findall(r"\bsuper::(\w+)", code))
        # `mod x;` in mod.rs declares, it does not use
        inner[(top, stem)] = {u for u in uses if u != stem}

# circles among the files of one module directory
for top in {t for t, _ in inner}:
    files = {stem: uses for (t, stem), uses in inner.items() if t == top}
    graph = {stem: {u for u in uses if u in files} for stem, uses in files.items()}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                circle = trail[trail.index(nxt):] + [nxt]
                problems.append(f"src/{top}/: import circle {' -> '.join(circle)}")
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"layers: {sum(1 for _ in src.rglob('*.rs'))} files, no import above its layer, no circle")
