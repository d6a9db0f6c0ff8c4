#!/usr/bin/env python3
"""tools/check-layers.py [SRCDIR] -- the layout check ctest runs
(layout_layers).  Fails when:
  - a library includes a header of a library above it or beside it
    (the layers are in docs/architecture.md and dnsd/CMakeLists.txt);
  - a file cites or reads a document outside the repository (the
    product contract or style guide of the team, ../shared/): comments
    cite docs/ instead.
Prints one "file:line: message" per finding."""
import os
import re
import subprocess
import sys

# Each library and what it may include besides itself: the libraries it
# links in its CMakeLists.txt, and theirs.
LAYERS = {
    "geo": [],
    "dnsd/util": [],
    "dnsd/proto": ["geo"],
    "dnsd/conf": ["dnsd/util", "geo"],
    "dnsd/tsig": ["dnsd/conf", "dnsd/proto", "dnsd/util", "geo"],
    "dnsd/dnssec": ["dnsd/util"],
    "dnsd/zone": ["dnsd/dnssec", "dnsd/proto", "dnsd/conf", "dnsd/util", "geo"],
    "dnsd/health": ["dnsd/conf", "dnsd/util", "geo"],
    "dnsd/answer": ["dnsd/zone", "dnsd/dnssec", "dnsd/health", "dnsd/proto", "dnsd/conf", "dnsd/util", "geo"],
    "dnsd/server": ["dnsd/answer", "dnsd/tsig", "dnsd/zone", "dnsd/dnssec", "dnsd/health", "dnsd/proto", "dnsd/conf",
                    "dnsd/util", "geo"],
    "dnsd/sim": ["dnsd/answer", "dnsd/zone", "dnsd/dnssec", "dnsd/health", "dnsd/proto", "dnsd/conf", "dnsd/util", "geo"],
    "dnsd/cluster": ["dnsd/server", "dnsd/answer", "dnsd/tsig", "dnsd/zone", "dnsd/dnssec", "dnsd/health", "dnsd/proto",
                     "dnsd/conf", "dnsd/util", "geo"],
    "dnsd/ctl": ["dnsd/cluster", "dnsd/server", "dnsd/sim", "dnsd/tsig", "dnsd/answer", "dnsd/zone", "dnsd/dnssec", "dnsd/health", "dnsd/proto",
                 "dnsd/conf", "dnsd/util", "geo"],
    # dnsd-import's library: zone-file and octoDNS readers, checked with the zone loader
    "tools/import": ["dnsd/zone", "dnsd/dnssec", "dnsd/proto", "dnsd/conf", "dnsd/util", "geo"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# Citations of documents a reader of the repository does not have.
OUTSIDE = re.compile(r'\b(SPEC|STYLE)(\.md)?\s*(§|section\s*)?\d|\.\./shared\b|\bSPEC\.md\b|\bSTYLE\.md\b')


def tracked_files(root):
    out = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True, text=True)
    if out.returncode == 0 and out.stdout:
        return out.stdout.split()
    found = []
    for d, _, names in os.walk(root):
        if "/.git" in d or "/build" in d:
            continue
        found += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return found


def check_includes(root, files, problems):
    for path in files:
        lib = os.path.dirname(path)
        if lib not in LAYERS or not path.endswith((".c", ".h")):
            continue
        allowed = set(LAYERS[lib]) | {lib}
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m or "/" not in m.group(1):
                    continue
                dep = os.path.dirname(m.group(1))
                if dep not in allowed:
                    problems.append("%s:%d: %s includes %s, which is not below it"
                                    % (path, n, lib, m.group(1)))


def check_citations(root, files, problems):
    me = os.path.relpath(os.path.abspath(__file__), root)
    for path in files:
        if path == me or path.startswith("tests/data/") or path.endswith((".mmdb", ".png")):
            continue
        try:
            with open(os.path.join(root, path), encoding="utf-8") as f:
                lines = f.readlines()
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(lines, 1):
            if OUTSIDE.search(line):
                problems.append("%s:%d: cites a document outside the repository: %s"
                                % (path, n, line.strip()[:100]))


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    files = tracked_files(root)
    problems = []
    check_includes(root, files, problems)
    check_citations(root, files, problems)
    for p in problems:
        print(p)
    print("%d files checked, %d problems" % (len(files), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
