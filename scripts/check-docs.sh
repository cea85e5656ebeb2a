#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The docs check of make check: every command the documentation shows
# must be one that works.
#
# Usage: scripts/check-docs.sh [FILE...]
#        (default: README.md, docs/*.md and scripts/man/*)
#
# In each file it finds
#   - every make command: in Markdown inside code (fenced blocks and
#     `spans`), in a manual inside .EX/.nf blocks, bold macros (.B, .BR,
#     .RB, ...) and \fB...\fP; its words up to the first one that is not
#     a target, an option or VAR=value ([...] around optional words is
#     read through);
#   - every path under scripts/, src/, include/, kunit/, docs/ or .ci/,
#     anywhere in the text.
# and prints one line per finding:
#   FILE:LINE: make TARGET: no such target in the Makefile
#   FILE:LINE: make ... OPTION: not an option of make
#   FILE:LINE: make TARGET VAR=: VAR is read neither by the Makefile nor
#              by the scripts TARGET runs
#   FILE:LINE: PATH: no such file or directory
# A VAR counts as read when the Makefile reads $(VAR), or when one of the
# scripts the target's recipe runs (and the scripts they name, in turn)
# reads $VAR or ${VAR...} (os.environ for Python); for a recipe that runs
# Kbuild ($(MAKE) -C $(KDIR)), Kbuild and its own W=, C=, CHECK= and V=
# count too.
#
# Exit status 1 if there is any finding.  The last line, on stderr, is
# "check-docs: N findings".
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)

# docs_files: the default list, relative to the repository.
docs_files() {
	(cd "$ROOT" && ls README.md docs/*.md scripts/man/* 2>/dev/null)
}

main() {
	local files=("$@")

	[ $# -gt 0 ] || mapfile -t files < <(docs_files)
	python3 - "$ROOT" "${files[@]}" <<'PYEOF'
import os
import re
import sys

root, files = sys.argv[1], sys.argv[2:]

# GNU make options the docs may show.
MAKE_OPTS = re.compile(r'^(-j[0-9]*|-[knsBi]|--jobs(=[0-9]+)?|--dry-run|'
                       r'--keep-going|--silent|--always-make)$')
KBUILD_VARS = {'W', 'C', 'CHECK', 'V'}
PATH_RE = re.compile(r'(?<![A-Za-z0-9_./$-])'
                     r'((?:scripts|src|include|kunit|docs|\.ci)/'
                     r'[A-Za-z0-9_./+-]*)')
TOKEN_RE = re.compile(r'''(?:[^\s"']|"[^"]*"|'[^']*')+''')
VAR_RE = re.compile(r'^([A-Z_][A-Z0-9_]*)=')
TARGET_RE = re.compile(r'^[a-z][a-z0-9_-]*$')


def read(path):
    with open(path, errors='replace') as f:
        return f.read()


def parse_makefile():
    """Targets: name -> (prerequisites, recipe lines)."""
    rules, cur = {}, None
    first = None
    for line in read(os.path.join(root, 'Makefile')).splitlines():
        m = re.match(r'^([A-Za-z0-9_.-]+)\s*:(?!=)\s*(.*)$', line)
        if m:
            cur = m.group(1)
            if cur.startswith('.'):
                cur = None
                continue
            rules[cur] = (m.group(2).split(), [])
            first = first or cur
        elif line.startswith('\t') and cur:
            rules[cur][1].append(line.strip())
        elif line.strip() and not line.startswith('#'):
            cur = None
    return rules, first


RULES, DEFAULT = parse_makefile()
MAKEFILE = read(os.path.join(root, 'Makefile'))


def referenced(path, text):
    """Files a script runs or sources: scripts/... paths, and its own
    directory's scripts named as .../NAME.sh or .../NAME.py, on lines that
    are not comments."""
    out = set()
    here = os.path.dirname(path)
    for line in text.split('\n'):
        if line.lstrip().startswith('#'):
            continue
        for m in re.finditer(r'scripts/[A-Za-z0-9_./-]+', line):
            p = os.path.join(root, m.group(0).rstrip('.'))
            if os.path.isfile(p):
                out.add(p)
        for m in re.finditer(r'/([A-Za-z0-9_-]+\.(?:sh|py))\b', line):
            p = os.path.join(here, m.group(1))
            if os.path.isfile(p):
                out.add(p)
    # Only scripts run others: not C sources, configs or data.
    return {p for p in out
            if not re.search(r'\.(c|h|config|conf|json|txt)$', p)}


def files_of(target, seen_targets=None):
    """The Makefile, the scripts TARGET's recipe runs, and what they name."""
    seen_targets = seen_targets or set()
    seen_targets.add(target)
    prereqs, recipe = RULES.get(target, ([], []))
    todo, done = set(), set()
    kbuild = False
    for line in recipe:
        todo |= referenced(os.path.join(root, 'Makefile'), line)
        if re.search(r'\$\(MAKE\)\s+-C\s+\$\(KDIR\)', line):
            kbuild = True
    for p in prereqs:
        if p in RULES and p not in seen_targets:
            more, kb = files_of(p, seen_targets)
            todo |= more
            kbuild = kbuild or kb
    while todo:
        p = todo.pop()
        if p in done:
            continue
        done.add(p)
        todo |= referenced(p, read(p)) - done
    if kbuild:
        done.add(os.path.join(root, 'Kbuild'))
    return done, kbuild


def reads_var(target, var):
    if re.search(r'\$[({]%s[)}]' % var, MAKEFILE):
        return True
    files, kbuild = files_of(target)
    if kbuild and var in KBUILD_VARS:
        return True
    pat = re.compile(r'\$%s(?![A-Za-z0-9_])|\$\{%s[}:#%%=?+-]|\$\(%s\)|'
                     r'environ(?:\.get)?[\[(]\s*[\'"]%s[\'"]|'
                     r'getenv\(\s*[\'"]%s[\'"]' % ((var,) * 5))
    return any(pat.search(read(f)) for f in files)


def code_fragments(path, text):
    """(line number, text) of the parts that are code."""
    frags = []
    if path.endswith('.md'):
        out, fenced, start = [], False, 0
        lines = text.split('\n')
        for i, line in enumerate(lines):
            if line.lstrip().startswith('```'):
                fenced = not fenced
                out.append('')
                continue
            if fenced:
                frags.append((i + 1, line))
                out.append('')
            else:
                out.append(line)
        prose = '\n'.join(out)
        for m in re.finditer(r'(`+)(.+?)\1', prose, re.S):
            lineno = prose.count('\n', 0, m.start()) + 1
            frags.append((lineno, m.group(2).replace('\n', ' ')))
        return frags
    # A manual: roff.
    block = False
    for i, line in enumerate(text.split('\n')):
        plain = re.sub(r'\\f[BIRP]|\\f\(..|\\&', '', line)
        plain = plain.replace('\\-', '-').replace('\\e', '\\')
        if re.match(r'^\.(EX|nf)\b', line):
            block = True
            continue
        if re.match(r'^\.(EE|fi)\b', line):
            block = False
            continue
        if block:
            frags.append((i + 1, plain))
        elif re.match(r'^\.(B|BR|RB|BI|IB)\s', line):
            frags.append((i + 1, plain.split(None, 1)[1].replace('"', '')))
        else:
            for m in re.finditer(r'\\fB(.*?)\\f[RPI]', line):
                frags.append((i + 1, m.group(1).replace('\\-', '-')))
    return frags


def check_make(where, frag, findings):
    for m in re.finditer(r'(?<![A-Za-z0-9_./-])make(?=\s)(.*)', frag):
        words = TOKEN_RE.findall(m.group(1))
        target, vars_, bad = None, [], []
        if any(w.startswith('-C') for w in words):
            continue        # another directory's Makefile
        for w in words:
            w = w.strip('[]')
            if not w or w == '...':
                continue
            if w.startswith('-'):
                if not MAKE_OPTS.match(w):
                    bad.append(w)
                continue
            v = VAR_RE.match(w)
            if v:
                vars_.append(v.group(1))
            elif TARGET_RE.match(w) and not vars_:
                if target is None:
                    target = w
                elif w in RULES:
                    continue
                else:
                    break
            else:
                break
        shown = 'make ' + (target or '')
        if target is not None and target not in RULES:
            findings.append('%s: make %s: no such target in the Makefile'
                            % (where, target))
            continue
        for w in bad:
            findings.append('%s: %s %s: not an option of make'
                            % (where, shown.strip(), w))
        for v in vars_:
            if not reads_var(target or DEFAULT, v):
                findings.append('%s: %s %s=: %s is read neither by the '
                                'Makefile nor by the scripts %s runs'
                                % (where, shown.strip(), v, v,
                                   'make ' + (target or DEFAULT)))


def check_paths(where, line, findings):
    for m in PATH_RE.finditer(line):
        p = m.group(1).rstrip('.')
        if '*' in p or p.endswith('-'):
            continue
        if not os.path.exists(os.path.join(root, p)):
            findings.append('%s: %s: no such file or directory' % (where, p))


findings = []
for name in files:
    path = name if os.path.isabs(name) else os.path.join(root, name)
    if not os.path.isfile(path):
        findings.append('%s: no such file' % name)
        continue
    text = read(path)
    for lineno, frag in code_fragments(name, text):
        check_make('%s:%d' % (name, lineno), frag, findings)
    for i, line in enumerate(text.split('\n')):
        check_paths('%s:%d' % (name, i + 1), line, findings)
for f in findings:
    print(f)
sys.stdout.flush()
print('check-docs: %d findings' % len(findings), file=sys.stderr)
sys.exit(1 if findings else 0)
PYEOF
}

main "$@"
