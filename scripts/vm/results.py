#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The results of one VM run, read by the kernel's own kunit.py parse.

Usage: results.py KUNIT_PY LOG

Two KTAP documents come out of a run:
  LOG.results  what the scenario wrote to the second serial port (ttyS1:
               scripts/vm/scenario-lib.sh, check and skip);
  LOG          the console, where KUnit prints its suites as the kernel
               runs them.
Each is given to `kunit.py parse --json`; one line per test case comes out:
"PASS NAME", "FAIL NAME" or "SKIP NAME # REASON", KUnit's as
"FAIL kunit: SUITE.CASE".  A document the parser reports errors in gives a
FAIL line saying so.

Why the console's KUnit output is cut out first: suites that run when a
test module is loaded print an indented "KTAP version 1" with no top-level
header (6.1), each module numbers its suites from 1 again, and userspace
output shares the console.  So the suites are taken out (kernel lines
only, printk timestamps removed) and given a header.
"""
import json
import os
import re
import subprocess
import sys

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\] ?')
SUITE_START = re.compile(r'^\s+KTAP version \d+$')
SUITE_RESULT = re.compile(r'^(ok|not ok) \d+(.*)$')
SKIP_REASON = re.compile(r'^\s*ok \d+ (.*?) # SKIP ?(.*)$')
ERRORS = re.compile(r'errors: (\d+)')


def kunit_suites(log):
    """The KUnit suites of a console log, as one KTAP document ("" if none)."""
    with open(log, errors='replace') as f:
        raw = [line.rstrip('\r\n') for line in f]
    if any(TIMESTAMP.match(line) for line in raw):
        lines = [TIMESTAMP.sub('', line) for line in raw if TIMESTAMP.match(line)]
    else:
        lines = raw
    suites, current = [], None
    for line in lines:
        if SUITE_START.match(line):
            current = [line]
            suites.append(current)
        elif current is not None:
            result = SUITE_RESULT.match(line)
            if result:
                # Renumbered within the combined document.
                current.append(f'{result.group(1)} {len(suites)}{result.group(2)}')
                current = None
            else:
                current.append(line)
    if not suites:
        return ''
    return '\n'.join(['KTAP version 1', f'1..{len(suites)}'] +
                     ['\n'.join(s) for s in suites]) + '\n'


def cases(group, prefix):
    for case in group.get('test_cases', []):
        yield prefix + case['name'], case['status']
    for sub in group.get('sub_groups', []):
        yield from cases(sub, prefix + sub['name'] + '.')


def report(kunit_py, ktap, path, prefix):
    """Print one line per case of the KTAP text, parsed by kunit.py."""
    with open(path, 'w') as f:
        f.write(ktap)
    reasons = {}
    for line in ktap.splitlines():
        m = SKIP_REASON.match(line)
        if m:
            reasons[m.group(1)] = m.group(2) or 'no reason given'
    parse = subprocess.run([sys.executable, kunit_py, 'parse', '--json=' + path + '.json', path],
                           capture_output=True, text=True)
    with open(path + '.parse', 'w') as f:
        f.write(parse.stdout + parse.stderr)
    try:
        with open(path + '.json') as f:
            group = json.load(f)
    except (OSError, ValueError):
        print(f'FAIL {prefix}kunit.py parse: no results ({os.path.basename(path)}.parse)')
        return
    for name, status in cases(group, prefix):
        if status == 'SKIP':
            reason = reasons.get(name.split('.')[-1] if prefix else name, 'no reason given')
            print(f'SKIP {name} # {reason}')
        else:
            print(('PASS ' if status == 'PASS' else 'FAIL ') + name)
    errors = ERRORS.findall(re.sub(r'\x1b\[[0-9;]*m', '', parse.stdout))
    if errors and int(errors[-1]):
        print(f'FAIL {prefix}kunit.py parse: {errors[-1]} errors ({os.path.basename(path)}.parse)')


def main():
    kunit_py, log = sys.argv[1], os.path.realpath(sys.argv[2])
    if os.path.exists(log + '.results'):
        with open(log + '.results', errors='replace') as f:
            channel = f.read().replace('\r', '')
        if channel.strip():
            report(kunit_py, channel, log + '.ktap', '')
    suites = kunit_suites(log)
    if suites:
        report(kunit_py, suites, log + '.kunit.ktap', 'kunit: ')


if __name__ == '__main__':
    main()
