#!/usr/bin/env python3
"""Fails when a file includes one from a layer above its own.

The reader's layers, lowest first (docs/contributing.md): reader; then export, history and report, which
do not include one another; then cli; then the program's main. The recorder's headers under include/ are
a world of their own: they include nothing outside include/.

    python3 scripts/check_layers.py [ROOT]     check the tree (default: this script's repository)
    python3 scripts/check_layers.py --self-test  show that each kind of breach is caught
"""
import pathlib
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)
SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".cc"}

# What each layer of tools/ may include, besides its own files.
ALLOWED_BELOW = {
    "reader": set(),
    "export": {"reader"},
    "history": {"reader"},
    "report": {"reader"},
    "cli": {"reader", "export", "history", "report"},
}
MAIN_LAYER = "main"  # tools/*.cpp: may include every layer


def sources(folder):
    return sorted(p for p in folder.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file())


def layer_of_tools_file(tools, path):
    parts = path.relative_to(tools).parts
    return parts[0] if len(parts) > 1 else MAIN_LAYER


def included_layer(tools, including_file, target):
    """The tools/ layer a quoted include names, or None when it is not a tools/ file."""
    first = target.split("/")[0]
    if "/" in target and first in ALLOWED_BELOW:
        return first
    # As the compiler looks: beside the including file, then in tools/ (the include directory).
    for candidate in (including_file.parent / target, tools / target):
        resolved = candidate.resolve()
        if not resolved.exists():
            continue
        try:
            parts = resolved.relative_to(tools.resolve()).parts
        except ValueError:
            return None
        return parts[0] if len(parts) > 1 else MAIN_LAYER
    return None


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def tools_breaches(root):
    tools = root / "tools"
    breaches = []
    for path in sources(tools):
        layer = layer_of_tools_file(tools, path)
        if layer not in ALLOWED_BELOW and layer != MAIN_LAYER:
            continue  # generated or helper files outside the layers (none today)
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in INCLUDE.finditer(text):
            target = match.group(1)
            to = included_layer(tools, path, target)
            if to is None or to == layer or layer == MAIN_LAYER:
                continue
            if to == MAIN_LAYER or to not in ALLOWED_BELOW[layer]:
                breaches.append(f"{path.relative_to(root)}:{line_of(text, match.start())}: "
                                f"the {layer} layer includes \"{target}\" from the {to} layer")
    return breaches


def include_breaches(root):
    headers = root / "include"
    breaches = []
    for path in sources(headers):
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in INCLUDE.finditer(text):
            target = match.group(1)
            resolved = (path.parent / target).resolve()
            inside = resolved.is_relative_to(headers.resolve()) and resolved.exists()
            if not inside:
                breaches.append(f"{path.relative_to(root)}:{line_of(text, match.start())}: "
                                f"include/ includes \"{target}\", which is not a file under include/")
    return breaches


def check(root):
    breaches = tools_breaches(root) + include_breaches(root)
    for breach in breaches:
        print(breach, file=sys.stderr)
    return breaches


def write(root, relative, text):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def self_test():
    """Each kind of breach in a small tree, and a clean tree, must be judged as expected."""
    clean = {
        "tools/reader/a.hpp": "#pragma once\n",
        "tools/export/b.cpp": '#include "reader/a.hpp"\n#include "export/b.hpp"\n',
        "tools/export/b.hpp": "#pragma once\n",
        "tools/cli/c.cpp": '#include "export/b.hpp"\n#include "reader/a.hpp"\n',
        "tools/main.cpp": '#include "cli/c.hpp"\n',
        "tools/cli/c.hpp": "#pragma once\n",
        "include/spanlog/x.hpp": '#include "impl/y.hpp"\n',
        "include/spanlog/impl/y.hpp": '#include "../x.hpp"\n',
    }
    cases = {
        "a lower layer including a higher one": ("tools/reader/d.cpp", '#include "cli/c.hpp"\n'),
        "two middle layers including each other": ("tools/history/e.cpp", '#include "export/b.hpp"\n'),
        "a layer including the program's main": ("tools/cli/f.cpp", '#include "main.cpp"\n'),
        "include/ reaching into tools/": ("include/spanlog/impl/z.hpp", '#include "../../../tools/reader/a.hpp"\n'),
    }
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp) / "clean"
        for relative, text in clean.items():
            write(root, relative, text)
        if check(root):
            failures.append("a clean tree was judged to have breaches")
    for name, (relative, text) in cases.items():
        with tempfile.TemporaryDirectory() as tmp:
            root = pathlib.Path(tmp) / "tree"
            for clean_relative, clean_text in clean.items():
                write(root, clean_relative, clean_text)
            write(root, relative, text)
            found = tools_breaches(root) + include_breaches(root)
            if len(found) != 1 or relative not in found[0]:
                failures.append(f"{name}: expected one breach in {relative}, found {found}")
    for failure in failures:
        print(f"self-test: {failure}", file=sys.stderr)
    print(f"check_layers self-test: {len(cases) + 1 - len(failures)} of {len(cases) + 1} cases as expected")
    return not failures


def main(argv):
    if argv[1:] == ["--self-test"]:
        return 0 if self_test() else 1
    root = pathlib.Path(argv[1]) if len(argv) > 1 else pathlib.Path(__file__).resolve().parent.parent
    breaches = check(root)
    print(f"check_layers: {len(breaches)} include{'' if len(breaches) == 1 else 's'} across layers")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
