#!/usr/bin/env python3
"""Checks every `#include "folder/..."` under src/ against the module map.

The map is the table under "## Module map" in docs/architecture.md, the one place it is kept:
each row names a module (a folder of src/, or a file directly in src/ such as main.cpp) and the
modules its files may include. An entry marked "(tests only)" is allowed from *_test.cpp files
only; "(to be removed)" marks an include that exists today and is to go (it is allowed, and
reported once no file needs it). A file may always include its own module's headers.

Exits 0 when every include is allowed; otherwise prints one line per include that breaks the
map (file:line: from -> to) and exits 1. Exits 2 when the map itself cannot be read.
Usage: scripts/check-modules.py [repository root]   (Python 3 standard library only)
"""

import re
import sys
from pathlib import Path

DOC = Path("docs/architecture.md")
HEADING = re.compile(r"^##\s+Module map\s*$")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
ENTRY = re.compile(r"^`([^`]+)`\s*(?:\(([^)]*)\))?$")
NOTES = {"tests only", "to be removed"}
SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".cc", ".h.in")


class MapError(Exception):
    pass


def module_name(cell):
    """`common/` -> common, `main.cpp` -> main.cpp."""
    m = ENTRY.match(cell.strip())
    if not m or m.group(2) is not None:
        raise MapError(f"not a module name: {cell.strip()!r}")
    return m.group(1).rstrip("/")


def split_entries(cell):
    """Splits a "may include" cell at the commas outside parentheses."""
    entries, depth, current = [], 0, ""
    for ch in cell:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            entries.append(current)
            current = ""
        else:
            current += ch
    entries.append(current)
    return [e.strip() for e in entries if e.strip()]


def read_map(doc_path):
    """Returns {module: {target: set of notes}} from the doc's table."""
    lines = doc_path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if HEADING.match(line)), None)
    if start is None:
        raise MapError(f'{doc_path}: no "## Module map" heading')
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    if len(rows) < 3:
        raise MapError(f"{doc_path}: the module map has no table rows")
    modules = {}
    for row in rows[2:]:  # after the header and the |---| line
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) != 3:
            raise MapError(f"{doc_path}: a row needs 3 cells (folder | owns | may include): {row}")
        name = module_name(cells[0])
        if name in modules:
            raise MapError(f"{doc_path}: {name} has two rows")
        allowed = {}
        if cells[2] not in ("—", "-", ""):
            for entry in split_entries(cells[2]):
                m = ENTRY.match(entry)
                if not m:
                    raise MapError(f"{doc_path}: {name}: cannot read {entry!r}")
                notes = {n.strip() for n in (m.group(2) or "").split(",") if n.strip()}
                if notes - NOTES:
                    raise MapError(f"{doc_path}: {name}: unknown note {sorted(notes - NOTES)}")
                allowed[m.group(1).rstrip("/")] = notes
        modules[name] = allowed
    return modules


def shown(name):
    """A module as the map writes it: common/ for a folder, main.cpp for a file."""
    return name if name.endswith(SOURCE_SUFFIXES) else name + "/"


def module_of(path, src):
    rel = path.relative_to(src)
    return rel.parts[0]  # a folder, or a file directly in src/


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    src = root / "src"
    try:
        allowed = read_map(root / DOC)
    except (MapError, OSError) as e:
        print(f"check-modules: {e}", file=sys.stderr)
        return 2

    present = {p.name for p in src.iterdir() if p.is_dir() or p.name.endswith(SOURCE_SUFFIXES)}
    problems = []
    for name in sorted(present - allowed.keys()):
        problems.append(f"src/{shown(name)}: has no row in the module map ({DOC})")
    for name in sorted(allowed.keys() - present):
        problems.append(f"{DOC}: the module map names {shown(name)}, which is not in src/")
    for name, targets in sorted(allowed.items()):
        for target in sorted(targets.keys() - allowed.keys()):
            problems.append(f"{DOC}: {shown(name)} may include {shown(target)}, which has no row")

    used = set()
    for path in sorted(src.rglob("*")):
        if not path.is_file() or not path.name.endswith(SOURCE_SUFFIXES):
            continue
        frm = module_of(path, src)
        is_test = path.name.endswith("_test.cpp")
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            m = INCLUDE.match(line)
            if not m or "/" not in m.group(1):
                continue
            to = m.group(1).split("/", 1)[0]
            if to == frm or to not in present:
                continue  # its own module, or not one of hookd's (a third-party path)
            notes = allowed.get(frm, {}).get(to)
            if notes is not None and (is_test or "tests only" not in notes):
                used.add((frm, to))
                continue
            where = "" if notes is None else " outside tests"
            problems.append(
                f"{path.relative_to(root)}:{number}: {shown(frm)} -> {shown(to)} "
                f'(#include "{m.group(1)}") is not allowed{where} by the module map'
            )

    for name, targets in sorted(allowed.items()):
        for target, notes in sorted(targets.items()):
            if "to be removed" in notes and (name, target) not in used:
                print(
                    f"check-modules: note: {shown(name)} no longer includes {shown(target)}; "
                    f"drop it from the module map",
                    file=sys.stderr,
                )

    if problems:
        print("\n".join(problems))
        print(
            f"check-modules: {len(problems)} problem(s) with the module map; "
            f"change the include, or the map in {DOC} with the reason",
            file=sys.stderr,
        )
        return 1
    print(f"check-modules: every include in src/ follows the module map ({len(allowed)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
