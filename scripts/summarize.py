#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarize test results of one or more VM runs.

  summarize.py LABEL:RESULT_DIR [...]

RESULT_DIR holds kselftest.tap (kselftest runner output), dmesg.txt (KUnit
KTAP in the kernel log), vm-status (vm-run.sh exit status) and/or lint.tap.  Prints one
line per test, the tail of the output of each failing test, and last:
"N passed, N failed, N skipped".  Exits 1 if anything failed.
"""
import os
import re
import sys

TS = re.compile(r'^\[\s*\d+\.\d+\]\s?')
RES = re.compile(r'^(not ok|ok) \d+ (.*?)(\s+#\s*(SKIP|XFAIL).*)?$')


def kselftests(path):
    """Yield (name, status, output-lines) from run_kselftest.sh TAP."""
    out = []
    if not os.path.exists(path):
        return
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        m = RES.match(line)
        if m and m.group(2).startswith('selftests: '):
            name = m.group(2)[len('selftests: '):].replace(': ', ':', 1)
            if m.group(4):
                st = 'SKIP'
            else:
                st = 'PASS' if m.group(1) == 'ok' else 'FAIL'
            yield name, st, out
            out = []
        else:
            out.append(line)


def tap(path):
    """Yield (name, status, output-lines) from a plain TAP file."""
    out = []
    if not os.path.exists(path):
        return
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        m = RES.match(line)
        if m:
            st = 'SKIP' if m.group(4) else ('PASS' if m.group(1) == 'ok' else 'FAIL')
            yield m.group(2), st, out
            out = []
        else:
            out.append(line[2:] if line.startswith('# ') else line)


def kunit(path):
    """Yield (suite, status, lines) from KUnit KTAP in a dmesg dump."""
    if not os.path.exists(path):
        return
    lines = [TS.sub('', l.rstrip('\n')) for l in open(path, errors='replace')]
    if not any(l.startswith('KTAP version') for l in lines):
        return
    buf = []
    for l in lines:
        buf.append(l)
        m = RES.match(l)          # suite results are not indented
        if m:
            st = 'SKIP' if m.group(4) else ('PASS' if m.group(1) == 'ok' else 'FAIL')
            yield 'kunit:' + m.group(2), st, buf
            buf = []


def main():
    n = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
    failed = []
    for arg in sys.argv[1:]:
        label, d = arg.split(':', 1)
        found = 0
        seen = {}
        for src in (kselftests(os.path.join(d, 'kselftest.tap')),
                    kunit(os.path.join(d, 'dmesg.txt')),
                    tap(os.path.join(d, 'lint.tap'))):
            for name, st, out in src:
                found += 1
                seen[name] = seen.get(name, 0) + 1
                # A Python/KTAP test whose every sub-test skipped still
                # exits 0: that is not a pass.
                tot = [l for l in out if '# Totals: pass:' in l]
                if st == 'PASS' and tot:
                    m = re.search(r'pass:(\d+) fail:(\d+).*skip:(\d+)', tot[-1])
                    if m and int(m.group(1)) == 0:
                        st = 'FAIL'
                        out = out + ['summarize: all sub-tests skipped']
                    elif m and int(m.group(3)):
                        n['SKIP'] += int(m.group(3))
                        print(f'SKIP  [{label}] {name}: {m.group(3)} sub-test(s) skipped')
                n[st] += 1
                print(f'{st:4}  [{label}] {name}')
                if st == 'FAIL':
                    failed.append((f'[{label}] {name}', out))
        # Every test the run was meant to run must have exactly one result.
        lst = os.path.join(d, 'kselftest-list.txt')
        if os.path.exists(lst):
            for t in open(lst).read().split():
                if seen.get(t, 0) != 1:
                    n['FAIL'] += 1
                    print(f'FAIL  [{label}] {t}: {seen.get(t, 0)} results, expected 1')
                    failed.append((f'[{label}] {t}', []))
        # ... and so must every KUnit suite of tests/kunit.list.
        klst = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            '..', 'tests', 'kunit.list')
        if os.path.exists(os.path.join(d, 'dmesg.txt')) and os.path.exists(klst):
            for line in open(klst):
                t = line.split('#')[0].strip()
                if t and seen.get('kunit:' + t, 0) != 1:
                    n['FAIL'] += 1
                    print(f'FAIL  [{label}] kunit:{t}: {seen.get("kunit:" + t, 0)} results, expected 1')
                    failed.append((f'[{label}] kunit:{t}', []))
        if not os.path.exists(os.path.join(d, 'vm-status')):
            vm = 0
        else:
            try:
                vm = int(open(os.path.join(d, 'vm-status')).read().strip() or 1)
            except ValueError:
                vm = 1
        if vm != 0:
            n['FAIL'] += 1
            msg = {124: 'timeout', 125: 'kernel splat'}.get(vm, f'exit status {vm}')
            print(f'FAIL  [{label}] vm: {msg} (see {d}/console.log)')
            failed.append((f'[{label}] vm', open(os.path.join(d, 'vm.log'), errors='replace').read().splitlines()
                           if os.path.exists(os.path.join(d, 'vm.log')) else []))
        elif found == 0:
            n['FAIL'] += 1
            print(f'FAIL  [{label}] no test result found in {d}')
    for name, out in failed:
        print(f'\n---- {name}: last lines of output ----')
        for line in out[-30:]:
            print('    ' + line)
    print()
    print(f"{n['PASS']} passed, {n['FAIL']} failed, {n['SKIP']} skipped")
    return 1 if n['FAIL'] else 0


if __name__ == '__main__':
    sys.exit(main())
