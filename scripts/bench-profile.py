#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Where the instructions go: make bench PROFILE=ROW, stock against series.

  bench-profile.py OUT.md ROW KERNEL=TBS,MARKS,RAW,SYSTEM_MAP ...
                   [--meta KEY=VALUE ...]

KERNEL is stock or series.  TBS is the icount_pcpu plugin's profile
(bench/icount_pcpu.c, profile=): one line per translated block that ran
inside a mark window, "VADDR NINSNS EXEC0 EXEC1".  MARKS and RAW are the
plugin's marks and scripts/guest/bench.sh's result lines of the same VM
run (the bytes moved and the exact instruction counts of each window).
SYSTEM_MAP is the kernel's System.map.

For the measured vCPU (1), every block's instructions (NINSNS x EXEC1)
are charged to the kernel function its first address falls in (the text
symbol at or below it in System.map); user-space addresses are one
bucket, "[user space]".  Printed and written to OUT.md:

- the total per MB, from the marks and from the blocks (they agree to a
  few instructions per run: the blocks running the marker itself);
- the top kernel functions by K instructions per MB, stock and series side
  by side, with the difference;
- calls per MB, on each vCPU, of the functions whose real-hardware cost is
  far above their instruction count (TLB flushes and their IPIs, zaps,
  page-table locks, vm_insert_pages, VMA and mmap locks): a block that
  starts at a function's address and ran k times is k calls.
"""
import bisect
import datetime
import sys

MB = 1 << 20
MEASURED = 1
KERNELS = ('stock', 'series')
TOP = 40
USER = '[user space]'
KERNEL_BASE = 0xffff800000000000

# (function, what it stands for); missing ones are shown as '–'.
WATCH = [
    ('flush_tlb_mm_range', 'TLB flush of a range (caller side)'),
    ('native_flush_tlb_multi', 'TLB flush on other CPUs: IPI sent'),
    ('smp_call_function_many_cond', 'cross-CPU call (IPI) issued'),
    ('flush_tlb_func', 'TLB flush run on a CPU (local or by IPI)'),
    ('__sysvec_call_function', 'call-function IPI received'),
    ('__sysvec_call_function_single', 'single call-function IPI received'),
    ('zap_page_range_single', 'zap of a user range'),
    ('unmap_page_range', 'page-table walk of a zap'),
    ('__pte_offset_map_lock', 'page-table lock taken (PTE level)'),
    ('vm_insert_pages', 'batch page insertion'),
    ('vm_insert_page', 'single page insertion'),
    ('lock_vma_under_rcu', 'per-VMA lock (RCU lookup)'),
    ('down_read', 'rwsem read lock (mmap_read_lock and others)'),
    ('down_read_killable', 'rwsem read lock, killable'),
    ('find_vma', 'VMA lookup under mmap_lock'),
    ('tcp_zerocopy_receive', 'stock: TCP_ZEROCOPY_RECEIVE'),
    ('tcp_zc_receive', 'series: TCP_ZEROCOPY_RECEIVE'),
    ('do_tcp_getsockopt', 'TCP getsockopt'),
    ('tcp_recvmsg_locked', 'locked recvmsg (copies)'),
    ('tcp_cleanup_rbuf', 'receive window update check'),
    ('tcp_rcv_space_adjust', 'receive buffer autotuning'),
]


def die(msg):
    sys.stderr.write('bench-profile: %s\n' % msg)
    sys.exit(2)


class SymTab:
    def __init__(self, path):
        syms = []
        try:
            f = open(path)
        except OSError as e:
            die('%s: %s' % (path, e.strerror))
        with f:
            for line in f:
                parts = line.split()
                if len(parts) < 3 or parts[1] not in 'tTwW':
                    continue
                syms.append((int(parts[0], 16), parts[2]))
        if not syms:
            die('%s: no text symbols' % path)
        syms.sort()
        self.addrs = [a for a, _ in syms]
        self.names = [n for _, n in syms]
        self.by_name = {}
        for a, n in syms:
            self.by_name.setdefault(n, a)

    def lookup(self, addr):
        if addr < KERNEL_BASE:
            return USER
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.names[i] if i >= 0 else '[kernel, below _text]'


def read_marks(path):
    marks = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 5 and p[0] == 'mark':
                marks[int(p[1])] = (int(p[3]), int(p[4]))
    return marks


def load(kernel, spec, row):
    try:
        tbs, marks_path, raw, smap = spec.split(',')
    except ValueError:
        die('%s=%s: expected TBS,MARKS,RAW,SYSTEM_MAP' % (kernel, spec))
    marks = read_marks(marks_path)
    nbytes = 0
    window = [0, 0]
    runs = 0
    with open(raw) as f:
        for line in f:
            p = line.split()
            if len(p) < 11:
                continue
            b, e = int(p[9]), int(p[10])
            if b not in marks or e not in marks:
                die('%s: marks %d..%d missing from %s' % (raw, b, e,
                                                         marks_path))
            nbytes += int(p[5])
            runs += 1
            for v in (0, 1):
                window[v] += marks[e][v] - marks[b][v]
    if not runs:
        die('%s: no runs of %s' % (raw, row))
    st = SymTab(smap)
    func = {}
    calls = {}
    total = [0, 0]
    with open(tbs) as f:
        for line in f:
            p = line.split()
            if len(p) != 4:
                continue
            addr, n, e0, e1 = int(p[0], 16), int(p[1]), int(p[2]), int(p[3])
            name = st.lookup(addr)
            ent = func.setdefault(name, [0, 0])
            ent[0] += n * e0
            ent[1] += n * e1
            total[0] += n * e0
            total[1] += n * e1
            if addr >= KERNEL_BASE and st.by_name.get(name) == addr:
                c = calls.setdefault(name, [0, 0])
                c[0] += e0
                c[1] += e1
    return {'mb': nbytes / MB, 'runs': runs, 'window': window,
            'total': total, 'func': func, 'calls': calls, 'syms': st}


def main(argv):
    args = argv[1:]
    if len(args) < 3:
        print(__doc__.strip())
        return 2
    out, row = args.pop(0), args.pop(0)
    data, meta = {}, []
    while args:
        a = args.pop(0)
        if a == '--meta':
            k, v = args.pop(0).split('=', 1)
            meta.append((k, v))
        elif '=' in a and a.split('=', 1)[0] in KERNELS:
            k, v = a.split('=', 1)
            data[k] = load(k, v, row)
        else:
            die('unexpected argument %r' % a)
    kern = [k for k in KERNELS if k in data]
    if not kern:
        die('no kernel given')
    meta.insert(0, ('date', datetime.datetime.now(datetime.timezone.utc)
                    .strftime('%Y-%m-%d %H:%M UTC')))
    L = ['# Profile of %s: where the measured vCPU\'s instructions go' % row,
         '', '| | |', '|---|---|']
    L += ['| %s | %s |' % (k, v.replace('|', '\\|')) for k, v in meta]
    L += ['', 'K instructions per MB executed by vCPU %d (the measured side '
          'and its NIC\'s interrupts) inside the marked windows, exact '
          '(bench/icount_pcpu.c), charged to the kernel function each '
          'translated block starts in (System.map of each kernel); user '
          'space is one bucket.' % MEASURED, '']
    L += ['| | ' + ' | '.join(kern) + ' |', '|---|' + '---:|' * len(kern)]
    L.append('| runs, MB moved | ' + ' | '.join(
        '%d, %.0f' % (data[k]['runs'], data[k]['mb']) for k in kern) + ' |')
    L.append('| vCPU %d K instr/MB, from the marks | ' % MEASURED + ' | '.join(
        '%.1f' % (data[k]['window'][MEASURED] / 1000 / data[k]['mb'])
        for k in kern) + ' |')
    L.append('| vCPU %d K instr/MB, sum of the blocks | ' % MEASURED +
             ' | '.join('%.1f' % (data[k]['total'][MEASURED] / 1000 /
                                  data[k]['mb']) for k in kern) + ' |')
    L.append('| vCPU %d (peer) K instr/MB, from the marks | ' %
             (1 - MEASURED) + ' | '.join(
                 '%.1f' % (data[k]['window'][1 - MEASURED] / 1000 /
                           data[k]['mb']) for k in kern) + ' |')
    L.append('')

    def per_mb(k, name):
        f = data[k]['func'].get(name)
        return None if f is None else f[MEASURED] / 1000 / data[k]['mb']

    names = set()
    for k in kern:
        names |= {n for n, v in data[k]['func'].items() if v[MEASURED]}
    key = lambda n: max(per_mb(k, n) or 0 for k in kern)
    top = sorted(names, key=key, reverse=True)[:TOP]
    fmt = lambda v: '–' if v is None else '%.1f' % v
    L += ['## Top %d functions on vCPU %d (K instr/MB)' % (TOP, MEASURED), '']
    head = '| function | ' + ' | '.join(kern)
    if len(kern) == 2:
        head += ' | series − stock'
    L += [head + ' |', '|---|' + '---:|' * (len(kern) + (len(kern) == 2))]
    for n in top:
        v = [per_mb(k, n) for k in kern]
        cells = [fmt(x) for x in v]
        if len(kern) == 2:
            cells.append('%+.1f' % ((v[1] or 0) - (v[0] or 0)))
        L.append('| `%s` | %s |' % (n, ' | '.join(cells)))
    L.append('')
    L += ['## Calls per MB of the functions real hardware prices higher',
          '', 'Calls = executions of the block at the function\'s first '
          'address, on vCPU 1 (measured) and vCPU 0 (peer); –: not in that '
          'kernel.  These price what `-icount` cannot: a TLB shootdown '
          'waits for the other CPU, a zap and a page-table lock touch '
          'shared cache lines.', '']
    cols = []
    for k in kern:
        cols += ['%s vCPU1' % k, '%s vCPU0' % k]
    L += ['| function | what | ' + ' | '.join(cols) + ' |',
          '|---|---|' + '---:|' * len(cols)]
    for name, what in WATCH:
        cells = []
        for k in kern:
            d = data[k]
            if name not in d['syms'].by_name:
                cells += ['–', '–']
                continue
            c = d['calls'].get(name, [0, 0])
            cells += ['%.2f' % (c[1] / d['mb']), '%.2f' % (c[0] / d['mb'])]
        L.append('| `%s` | %s | %s |' % (name, what, ' | '.join(cells)))
    L.append('')
    text = '\n'.join(L) + '\n'
    with open(out, 'w') as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
