#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Tables and a plot from the raw lines of scripts/guest/bench.sh and the
marks of the icount_pcpu plugin (bench/icount_pcpu.c).

  bench-report.py OUTDIR stock=RAW,MARKS series=RAW,MARKS [--meta KEY=VALUE ...]

Each RAW file holds one line per run, as scripts/guest/bench.sh writes
them:

  kind workload variant size run bytes busy_ns wall_ns peer_busy_ns \
      mark_begin mark_end [key=value ...]

MARKS is the plugin's file: "mark N vcpu=V COUNT0 COUNT1", the exact
number of instructions each vCPU executed since boot at mark N.  The cost
of a run is what the measured vCPU (1) executed between its two marks:

  K instructions per MB = (COUNT1[mark_end] - COUNT1[mark_begin]) / 1000
                          / (bytes / 2^20)

A run whose marks are missing is an error: the report is not written.

busy_ns is kept as a secondary, labelled figure: the measured CPU's busy
(non-idle) time from the kernel's ns idle accounting, which under -icount
counts one shared instruction clock, so it also includes the other vCPU's
instructions whenever QEMU ran that one while this one was busy.

For each (kind, workload, variant, size, kernel): median, min and max over
the runs, and the spread (max - min) / median, which for two runs of the
same kernel is its run-to-run reproducibility.  A row one kernel has no
runs of (tx zcring, SO_ZEROCOPY_RING, which only the series has: the
guest skips it on stock) shows '–' in that kernel's columns and ratios.

Writes OUTDIR/results.md (meta header, receive table, send table, raw
runs) and OUTDIR/cost.png (receive and send panels, cost against message
or write size).  Debian's python3 with python3-matplotlib.
"""
import datetime
import os
import statistics
import sys

KERNELS = ('stock', 'series')
INSTR_PER_NS = 1                 # -icount shift=0
MEASURED_VCPU = 1                # LOCAL_CPU of scripts/guest/topo.sh
PEER_VCPU = 0
MB = 1 << 20
FLOOR = {'rx': 'trunc', 'tx': 'sendfile'}
ORDER = {
    'rx': ['copy', 'zc', 'zc-copybuf', 'zc-mt', 'trunc'],
    'tx': ['copy', 'zc', 'zceager', 'zcring', 'sendfile'],
}
TITLE = {'rx': 'Receive', 'tx': 'Send'}
SIZE_HEAD = {'rx': 'message size', 'tx': 'write size'}


def die(msg):
    sys.stderr.write('bench-report: %s\n' % msg)
    sys.exit(2)


def parse_size(s):
    """'bulk' -> None, '64K' -> 65536, '16K+64' -> 16448."""
    if s == 'bulk':
        return None
    if '+' in s:
        a, b = s.split('+', 1)
        return parse_size(a) + parse_size(b)
    mult = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}.get(s[-1:].upper())
    try:
        return int(s[:-1]) * mult if mult else int(s)
    except ValueError:
        raise ValueError('bad size %r' % s)


def size_key(s):
    v = parse_size(s)
    return (1, 0) if v is None else (0, v)


def read_marks(path):
    """{N: (count_vcpu0, count_vcpu1)} from the plugin's file."""
    marks = {}
    try:
        f = open(path)
    except OSError as e:
        die('%s: %s' % (path, e.strerror))
    with f:
        for n, line in enumerate(f, 1):
            fields = line.split()
            try:
                if len(fields) != 5 or fields[0] != 'mark' or \
                        not fields[2].startswith('vcpu='):
                    raise ValueError('not a mark line')
                num, c0, c1 = int(fields[1]), int(fields[3]), int(fields[4])
            except ValueError as e:
                die('%s:%d: %s: %s' % (path, n, e, line.strip()))
            if num in marks or num != len(marks) + 1:
                die('%s:%d: mark %d out of sequence' % (path, n, num))
            marks[num] = (c0, c1)
    return marks


def read_runs(kernel, path, marks_path):
    runs = []
    marks = read_marks(marks_path)
    try:
        f = open(path)
    except OSError as e:
        die('%s: %s' % (path, e.strerror))
    with f:
        for n, line in enumerate(f, 1):
            fields = line.split()
            if not fields or fields[0].startswith('#'):
                continue
            try:
                if len(fields) < 11:
                    raise ValueError('%d fields, expected at least 11'
                                     % len(fields))
                kind, wl, var, size = fields[:4]
                run, nbytes, busy, wall, peer, mb, me = \
                    (int(x) for x in fields[4:11])
                kv = dict(f.split('=', 1) for f in fields[11:])
                parse_size(size)
                if kind not in ORDER or nbytes <= 0:
                    raise ValueError('bad kind or byte count')
                if mb not in marks or me not in marks or me <= mb:
                    raise ValueError('marks %d..%d not in %s (%d marks): was '
                                     'the plugin loaded?' % (
                                         mb, me, marks_path, len(marks)))
            except ValueError as e:
                die('%s:%d: %s: %s' % (path, n, e, line.strip()))
            mbytes = nbytes / MB
            instr = marks[me][MEASURED_VCPU] - marks[mb][MEASURED_VCPU]
            peer_instr = marks[me][PEER_VCPU] - marks[mb][PEER_VCPU]
            runs.append({
                'kernel': kernel, 'kind': kind, 'workload': wl,
                'variant': var, 'size': size, 'run': run, 'bytes': nbytes,
                'busy': busy, 'wall': wall, 'peer': peer,
                'instr': instr, 'peer_instr': peer_instr, 'kv': kv,
                'marks': '%d..%d' % (mb, me),
                'cost': instr / 1000 / mbytes,
                'peer_cost': peer_instr / 1000 / mbytes,
                'busy_cost': busy * INSTR_PER_NS / 1000 / mbytes,
                'mbps': mbytes / (wall / 1e9) if wall > 0 else float('nan'),
            })
    return runs


class Stat:
    def __init__(self, runs):
        costs = [r['cost'] for r in runs]
        self.n = len(costs)
        self.median = statistics.median(costs)
        self.min = min(costs)
        self.max = max(costs)
        self.spread = (self.max - self.min) / self.median \
            if self.median > 0 else 0.0
        self.busy = statistics.median(r['busy_cost'] for r in runs)
        self.mbps = statistics.median(r['mbps'] for r in runs)


def aggregate(runs):
    groups = {}
    for r in runs:
        key = (r['kind'], r['workload'], r['variant'], r['size'], r['kernel'])
        groups.setdefault(key, []).append(r)
    return {k: Stat(v) for k, v in groups.items()}


def fmt_cost(st):
    if st is None:
        return '–'
    if st.n == 1:
        return '%.0f' % st.median
    return '%.0f (%.0f..%.0f)' % (st.median, st.min, st.max)


def fmt_ratio(x):
    return '–' if x is None else '%.2f' % x


def share(stats, kind, wl, var, size, kernel):
    """(zc - floor) / (copy - floor), medians of one kernel and size."""
    get = stats.get
    zc = get((kind, wl, var, size, kernel))
    copy = get((kind, wl, 'copy', size, kernel))
    floor = get((kind, wl, FLOOR[kind], size, kernel))
    if not (zc and copy and floor) or copy.median <= floor.median:
        return None
    return (zc.median - floor.median) / (copy.median - floor.median)


def rows_of(stats, kind):
    """(workload, size, variant) of one kind, in table order."""
    keys = {(k[1], k[3], k[2]) for k in stats if k[0] == kind}
    order = ORDER[kind]
    return sorted(keys, key=lambda k: (k[0] != 'bulk', size_key(k[1]),
                                       order.index(k[2]) if k[2] in order
                                       else len(order), k[2]))


def table(stats, kind):
    floor = FLOOR[kind]
    out = [
        '| workload | %s | variant | stock K instr/MB median (min..max) '
        '| series K instr/MB median (min..max) | series/stock '
        '| (zc − %s)/(copy − %s), series | same, stock '
        '| secondary: busy-time K/MB stock | busy-time series |' % (
            SIZE_HEAD[kind], floor, floor),
        '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for wl, size, var in rows_of(stats, kind):
        st = {k: stats.get((kind, wl, var, size, k)) for k in KERNELS}
        ratio = None
        if st['stock'] and st['series'] and st['stock'].median > 0:
            ratio = st['series'].median / st['stock'].median
        if var.startswith('zc'):
            sh = [fmt_ratio(share(stats, kind, wl, var, size, k))
                  for k in ('series', 'stock')]
        else:
            sh = ['', '']
        mbps = ['–' if s is None else '%.0f' % s.busy
                for s in (st['stock'], st['series'])]
        out.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            wl, size, var, fmt_cost(st['stock']), fmt_cost(st['series']),
            fmt_ratio(ratio), sh[0], sh[1], mbps[0], mbps[1]))
    return out


def spread_section(stats):
    """Run-to-run reproducibility of each kernel, from the same run."""
    out = ['## Reproducibility', '',
           'Spread of one row = (max − min) / median over its runs on one '
           'kernel (the runs of one row are interleaved with the other '
           'variants, in one VM boot).  For the stock kernel this is '
           'stock against stock.', '']
    for kern in KERNELS:
        rows = [(v.spread, k) for k, v in stats.items()
                if k[4] == kern and v.n >= 2]
        if not rows:
            continue
        rows.sort()
        sp = [r[0] for r in rows]
        worst = rows[-1][1]
        out.append('- %s: %d rows of ≥ 2 runs; spread median %.2f %%, '
                   'max %.2f %% (%s %s %s %s)' % (
                       kern, len(rows), 100 * statistics.median(sp),
                       100 * sp[-1], worst[0], worst[1], worst[3],
                       worst[2]))
    if len(out) == 5:
        out.append('No row has two runs.')
    return out + ['']


def targets(stats):
    """The design targets of issues 14, 15, 16 (reported, not asserted)."""
    out = ['## Targets (issues 14, 15, 16; informational)', '']
    med = lambda *k: stats[k].median if k in stats else None

    def ratio(key):
        a, b = med(*key, 'series'), med(*key, 'stock')
        return None if a is None or not b else a / b

    def line(what, r, goal, ok):
        if r is None:
            return
        if goal is None:
            out.append('- %s: %.3f (no target)' % (what, r))
            return
        out.append('- %s: %s (target %s): **%s**' % (
            what, '%.3f' % r, goal, 'met' if ok(r) else 'not met'))

    rx = sorted({k[:4] for k in stats if k[0] == 'rx'},
                key=lambda k: (k[1] != 'bulk', size_key(k[3]), k[2]))
    for k in rx:
        r = ratio(k)
        if k[2] == 'copy':
            line('rx %s %s copy, series/stock' % (k[1], k[3]), r,
                 'within 1 %', lambda x: abs(x - 1) <= 0.01)
        elif k[2] != 'trunc':
            line('rx %s %s %s, series/stock' % (k[1], k[3], k[2]), r,
                 '≤ 1', lambda x: x <= 1)
    for var in ('zc', 'zc-copybuf'):
        r = ratio(('rx', 'rpc', var, '4K'))
        line('rx rpc 4K %s, series/stock' % var, r, '≤ 0.95',
             lambda x: x <= 0.95)
    gap = {}
    for kern in KERNELS:
        zc, fl = med('rx', 'bulk', 'zc', 'bulk', kern), \
            med('rx', 'bulk', 'trunc', 'bulk', kern)
        if zc is not None and fl is not None:
            gap[kern] = zc - fl
    if len(gap) == 2 and gap['stock'] > 0:
        line('rx bulk (zc − floor), series/stock = %.0f/%.0f' % (
            gap['series'], gap['stock']), gap['series'] / gap['stock'],
            '≤ 0.8', lambda x: x <= 0.8)
    for size in ('16K+64', '32K+64', '64K+64'):
        line('rx rpc %s zc-copybuf, series/stock' % size,
             ratio(('rx', 'rpc', 'zc-copybuf', size)), '≤ 0.9',
             lambda x: x <= 0.9)
    for size in ('4K', '8K', '16K', '64K'):
        line('tx %s MSG_ZEROCOPY, series/stock' % size,
             ratio(('tx', 'stream', 'zc', size)), '≤ 0.95',
             lambda x: x <= 0.95)
    for size in sorted({k[3] for k in stats if k[0] == 'tx'}, key=size_key):
        line('tx %s copy, series/stock' % size,
             ratio(('tx', 'stream', 'copy', size)), 'within 1 %',
             lambda x: abs(x - 1) <= 0.01)
    zc, cp = med('tx', 'stream', 'zc', '64K', 'series'), \
        med('tx', 'stream', 'copy', '64K', 'series')
    if zc and cp:
        line('tx 64K, series MSG_ZEROCOPY/copy', zc / cp, '≤ 0.5',
             lambda x: x <= 0.5)
    zc, sf = med('tx', 'stream', 'zc', '1M', 'series'), \
        med('tx', 'stream', 'sendfile', '1M', 'series')
    if zc and sf:
        line('tx 1M, series MSG_ZEROCOPY/sendfile', zc / sf, '≤ 1.10',
             lambda x: x <= 1.10)
    # Issue 16: completions from the ring (SO_ZEROCOPY_RING), series only.
    for size in ('4K', '8K', '16K', '64K'):
        zr, zc = med('tx', 'stream', 'zcring', size, 'series'), \
            med('tx', 'stream', 'zc', size, 'series')
        if zr is None or not zc:
            continue
        if size in ('16K', '64K'):
            line('tx %s, series zcring/zc' % size, zr / zc, '≤ 0.90',
                 lambda x: x <= 0.90)
        else:
            line('tx %s, series zcring/zc' % size, zr / zc, None, None)
    # The same against a sender that reads the error queue after every
    # send, as the ring's reader reads the ring.
    for size in ('4K', '8K', '16K', '64K'):
        zr, ze = med('tx', 'stream', 'zcring', size, 'series'), \
            med('tx', 'stream', 'zceager', size, 'series')
        if zr is not None and ze:
            line('tx %s, series zcring/zceager' % size, zr / ze, None, None)
    zr, cp = med('tx', 'stream', 'zcring', '4K', 'series'), \
        med('tx', 'stream', 'copy', '4K', 'series')
    if zr is not None and cp:
        line('tx 4K, series zcring/copy', zr / cp, '< 1.00',
             lambda x: x < 1.00)
    if len(out) == 2:
        out.append('No data for the targets.')
    return out + ['']


def write_md(path, meta, runs, stats, sources):
    lines = ['# Zero-copy TCP benchmark: CPU cost per MB', '']
    lines += ['| | |', '|---|---|']
    for k, v in meta:
        lines.append('| %s | %s |' % (k, v.replace('|', '\\|')))
    for k in KERNELS:
        lines.append('| raw %s | `%s` |' % (k, ', '.join(sources.get(k, '–'))))
    lines += [
        '',
        'Cost: K instructions per MB (10^3 guest instructions per 2^20 '
        'bytes) executed by the measured vCPU (CPU 1: the benchmark '
        'process and the local NIC\'s interrupts; the peer and its NIC on '
        'CPU 0) between the two marks of a run, exact: counted by the TCG '
        'plugin bench/icount_pcpu.c (every translated block\'s length, '
        'each time that vCPU runs it).  Lower is better.  Median of the '
        'runs, (min..max).  '
        'series/stock < 1: the series is cheaper.  '
        '(zc − floor)/(copy − floor): the part of the copy cost above the '
        'copy-free floor that zero-copy still pays (0 = as cheap as the '
        'floor, 1 = as dear as copying).  –: no data, or copy not above '
        'the floor.',
        '',
        'Secondary, not used for any ratio or target: "busy-time", CPU 1\'s '
        'non-idle time from the kernel\'s ns idle accounting under '
        '`-icount shift=0`.  QEMU runs the two vCPUs one at a time on one '
        'instruction clock, so it also counts CPU 0\'s instructions '
        'whenever QEMU ran CPU 0 while CPU 1 was busy: it over-counts, by '
        'a different amount per variant.',
        '',
    ]
    for kind in ('rx', 'tx'):
        lines += ['## %s' % TITLE[kind], '']
        if any(k[0] == kind for k in stats):
            lines += table(stats, kind)
        else:
            lines.append('No %s runs.' % TITLE[kind].lower())
        lines.append('')
    lines += spread_section(stats)
    lines += targets(stats)
    lines += ['## Raw runs', '',
              'instr: exact instructions of the measured vCPU between the '
              'run\'s marks; peer instr: the other vCPU\'s; busy: the '
              'secondary busy-time figure (ns); wall: guest clock across '
              'the run; the last column is the measured side\'s zc_bench '
              'summary (mapped, copied, copybuf: bytes; calls).', '',
              '| kernel | kind | workload | variant | size | run | bytes '
              '| marks | instr | K instr/MB | peer instr | peer K instr/MB '
              '| busy ns | busy K/MB | wall ns | MB/s | zc_bench |',
              '|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|']
    for r in runs:
        lines.append('| %s | %s | %s | %s | %s | %d | %d | %s | %d | %.1f '
                     '| %d | %.1f | %d | %.0f | %d | %.1f | %s |' % (
                         r['kernel'], r['kind'], r['workload'], r['variant'],
                         r['size'], r['run'], r['bytes'], r['marks'],
                         r['instr'], r['cost'], r['peer_instr'],
                         r['peer_cost'], r['busy'], r['busy_cost'],
                         r['wall'], r['mbps'],
                         ' '.join('%s=%s' % kv for kv in r['kv'].items())))
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def size_label(v):
    for unit, shift in (('M', 20), ('K', 10)):
        if v >= 1 << shift and v % (1 << shift) == 0:
            return '%d%s' % (v >> shift, unit)
    return str(v)


def plot(path, stats):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    colors = {'copy': 'tab:red', 'zc': 'tab:blue', 'zc-copybuf': 'tab:cyan',
              'zc-mt': 'tab:purple', 'zcring': 'tab:green',
              'zceager': 'tab:olive',
              'trunc': 'tab:gray', 'sendfile': 'tab:gray'}
    style = {'stock': dict(linestyle='--', markerfacecolor='white'),
             'series': dict(linestyle='-')}
    dodge = {'stock': 0.96, 'series': 1.04}     # keep error bars apart
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2))
    for ax, kind in zip(axes, ('rx', 'tx')):
        keys = [k for k in stats if k[0] == kind]
        sizes = sorted({parse_size(k[3]) for k in keys
                        if '+' not in k[3]} - {None})
        has_bulk = any(k[3] == 'bulk' for k in keys)
        bulk_x = (sizes[-1] if sizes else 1 << 20) * 4
        vals = []
        variants = sorted({k[2] for k in keys},
                          key=lambda v: ORDER[kind].index(v)
                          if v in ORDER[kind] else 99)
        for var, hdr in ((v, h) for v in variants for h in (False, True)):
            for kernel in KERNELS:
                pts = sorted((parse_size(k[3]), stats[k]) for k in keys
                             if k[2] == var and k[4] == kernel
                             and k[3] != 'bulk' and ('+' in k[3]) == hdr)
                bulk = None if hdr else \
                    stats.get((kind, 'bulk', var, 'bulk', kernel))
                if not pts and not bulk:
                    continue
                label = '%s%s, %s' % (var, ' (+hdr)' if hdr else '', kernel)
                kw = dict(color=colors.get(var), marker='s' if hdr else 'o',
                          markersize=5, capsize=3, **style[kernel])
                if pts:
                    xs = [p[0] * dodge[kernel] for p in pts]
                    ys = [p[1].median for p in pts]
                    err = [[p[1].median - p[1].min for p in pts],
                           [p[1].max - p[1].median for p in pts]]
                    ax.errorbar(xs, ys, yerr=err, label=label, **kw)
                    label = None
                    vals += ys
                if bulk:
                    kw['linestyle'] = 'none'
                    ax.errorbar([bulk_x * dodge[kernel]], [bulk.median],
                                yerr=[[bulk.median - bulk.min],
                                      [bulk.max - bulk.median]],
                                label=label, **kw)
                    vals.append(bulk.median)
        ax.set_xscale('log', base=2)
        ticks = sizes + ([bulk_x] if has_bulk else [])
        ax.set_xticks(ticks)
        ax.set_xticklabels([size_label(s) for s in sizes] +
                           (['bulk'] if has_bulk else []))
        ax.minorticks_off()
        if has_bulk:
            ax.axvline(bulk_x / 2, color='0.85', linewidth=1)
        positive = [v for v in vals if v > 0]
        if positive and max(positive) / min(positive) > 20:
            ax.set_yscale('log')
        else:
            ax.set_ylim(bottom=0)
        ax.set_title(TITLE[kind] + (' (RPC messages; bulk stream right)'
                                    if kind == 'rx' else ' (stream)'))
        ax.set_xlabel(SIZE_HEAD[kind])
        ax.set_ylabel('K instructions per MB (lower is better)')
        ax.grid(True, which='major', alpha=0.3)
        if keys:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, 'no data', ha='center', transform=ax.transAxes)
    fig.suptitle('TCP CPU cost per MB, zero-copy vs copy (median, min..max; '
                 'dashed: stock, solid: series)', fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv):
    args = argv[1:]
    if not args or args[0] in ('-h', '--help'):
        print(__doc__.strip())
        return 0 if args else 2
    outdir = args.pop(0)
    sources, meta = {}, []
    while args:
        a = args.pop(0)
        if a == '--meta':
            if not args or '=' not in args[0]:
                die('--meta takes KEY=VALUE')
            k, v = args.pop(0).split('=', 1)
            meta.append((k, v))
        elif a.startswith('--meta='):
            k, v = a[len('--meta='):].split('=', 1)
            meta.append((k, v))
        elif '=' in a and a.split('=', 1)[0] in KERNELS and \
                ',' in a.split('=', 1)[1]:
            k, v = a.split('=', 1)
            sources[k] = tuple(v.split(',', 1))
        else:
            die('unexpected argument %r (usage: OUTDIR stock=RAW,MARKS '
                'series=RAW,MARKS [--meta KEY=VALUE ...])' % a)
    if not sources:
        die('no input: give stock=RAW,MARKS and/or series=RAW,MARKS')
    if not any(k == 'date' for k, _ in meta):
        meta.insert(0, ('date', datetime.datetime.now(datetime.timezone.utc)
                        .strftime('%Y-%m-%d %H:%M UTC')))
    runs = []
    for k in KERNELS:
        if k in sources:
            runs += read_runs(k, *sources[k])
    if not runs:
        die('no runs in %s' % ', '.join(v[0] for v in sources.values()))
    stats = aggregate(runs)
    os.makedirs(outdir, exist_ok=True)
    runs.sort(key=lambda r: (KERNELS.index(r['kernel']), r['kind'] != 'rx',
                             r['workload'] != 'bulk', size_key(r['size']),
                             ORDER[r['kind']].index(r['variant'])
                             if r['variant'] in ORDER[r['kind']] else 99,
                             r['run']))
    md = os.path.join(outdir, 'results.md')
    png = os.path.join(outdir, 'cost.png')
    write_md(md, meta, runs, stats, sources)
    plot(png, stats)
    print('bench-report: %d runs -> %s, %s' % (len(runs), md, png))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
