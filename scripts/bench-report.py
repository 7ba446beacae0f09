#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Tables and a plot from the raw lines of scripts/guest/bench.sh.

  bench-report.py OUTDIR stock=FILE series=FILE [--meta KEY=VALUE ...]

Each FILE holds one line per run, as scripts/guest/bench.sh writes them:

  kind workload variant size run bytes busy_ns wall_ns peer_busy_ns

busy_ns is the measured CPU's busy (non-idle) time across the transfer,
from the kernel's ns idle accounting; under -icount shift=0 one guest
nanosecond is one instruction, so the cost is

  K instructions per MB = busy_ns / 1000 / (bytes / 2^20)

wall_ns and peer_busy_ns (the other vCPU's busy time) bound the one
distortion left: QEMU runs the two vCPUs one at a time on one clock, so a
vCPU that is busy but not being run also sees the other one's
instructions as its own time.  The time both were busy at once is at
least busy + peer_busy - wall (the raw table shows it, "overlap").

For each (kind, workload, variant, size, kernel): median, min and max over
the runs, and the throughput (MB/s from wall_ns, for information).

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
MB = 1 << 20
FLOOR = {'rx': 'trunc', 'tx': 'sendfile'}
ORDER = {
    'rx': ['copy', 'zc', 'zc-copybuf', 'trunc'],
    'tx': ['copy', 'zc', 'sendfile'],
}
TITLE = {'rx': 'Receive', 'tx': 'Send'}
SIZE_HEAD = {'rx': 'message size', 'tx': 'write size'}


def die(msg):
    sys.stderr.write('bench-report: %s\n' % msg)
    sys.exit(2)


def parse_size(s):
    """'bulk' -> None, '64K' -> 65536."""
    if s == 'bulk':
        return None
    mult = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}.get(s[-1:].upper())
    try:
        return int(s[:-1]) * mult if mult else int(s)
    except ValueError:
        raise ValueError('bad size %r' % s)


def size_key(s):
    v = parse_size(s)
    return (1, 0) if v is None else (0, v)


def read_runs(kernel, path):
    runs = []
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
                if len(fields) != 9:
                    raise ValueError('%d fields, expected 9' % len(fields))
                kind, wl, var, size = fields[:4]
                run, nbytes, busy, wall, peer = (int(x) for x in fields[4:])
                parse_size(size)
                if kind not in ORDER or nbytes <= 0:
                    raise ValueError('bad kind or byte count')
            except ValueError as e:
                die('%s:%d: %s: %s' % (path, n, e, line.strip()))
            mbytes = nbytes / MB
            runs.append({
                'kernel': kernel, 'kind': kind, 'workload': wl,
                'variant': var, 'size': size, 'run': run, 'bytes': nbytes,
                'busy': busy, 'wall': wall, 'peer': peer,
                'overlap': max(0, busy + peer - wall),
                'cost': busy * INSTR_PER_NS / 1000 / mbytes,
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
        '| MB/s stock | MB/s series |' % (SIZE_HEAD[kind], floor, floor),
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
        mbps = ['–' if s is None else '%.0f' % s.mbps
                for s in (st['stock'], st['series'])]
        out.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            wl, size, var, fmt_cost(st['stock']), fmt_cost(st['series']),
            fmt_ratio(ratio), sh[0], sh[1], mbps[0], mbps[1]))
    return out


def goals(stats):
    """Issue 5's targets, computed (goals, not assertions)."""
    out = ['## Goals (issue 5; informational)', '']
    med = lambda k: stats[k].median if k in stats else None
    for var in ('zc', 'zc-copybuf'):
        gap = {}
        for kern in KERNELS:
            zc = med(('rx', 'bulk', var, 'bulk', kern))
            fl = med(('rx', 'bulk', 'trunc', 'bulk', kern))
            cp = med(('rx', 'bulk', 'copy', 'bulk', kern))
            if zc is not None and fl is not None:
                gap[kern] = (zc - fl, None if cp is None else cp - fl)
        if len(gap) == 2:
            s, t = gap['series'][0], gap['stock'][0]
            verdict = 'met' if s <= t / 2 else 'not met'
            out.append('- bulk receive, %s: (series %s − floor) = %.0f, '
                       '(stock %s − floor) = %.0f K instr/MB (stock copy − '
                       'floor = %s): goal ≤ ½ of stock: **%s**' % (
                           var, var, s, var, t,
                           '–' if gap['stock'][1] is None
                           else '%.0f' % gap['stock'][1], verdict))
    for kern in KERNELS:
        sizes = sorted({k[3] for k in stats if k[0] == 'rx' and
                        k[1] == 'rpc' and k[4] == kern}, key=size_key)
        res = []
        for size in sizes:
            hy = med(('rx', 'rpc', 'zc-copybuf', size, kern))
            cp = med(('rx', 'rpc', 'copy', size, kern))
            if hy is None or cp is None:
                continue
            res.append('%s %s' % (size, 'yes' if hy < cp else 'no'))
        if res:
            big = [r for r in res if parse_size(r.split()[0]) >= 16 << 10]
            out.append('- RPC receive, %s kernel: zc + hybrid copybuf '
                       'cheaper than copy? %s; goal (from 16K up): **%s**' % (
                           kern, ', '.join(res),
                           'met' if big and all(r.endswith('yes')
                                                for r in big)
                           else 'not met'))
    if len(out) == 2:
        out.append('No data for the goals.')
    return out + ['']


def write_md(path, meta, runs, stats, sources):
    lines = ['# Zero-copy TCP benchmark: CPU cost per MB', '']
    lines += ['| | |', '|---|---|']
    for k, v in meta:
        lines.append('| %s | %s |' % (k, v.replace('|', '\\|')))
    for k in KERNELS:
        lines.append('| raw %s | `%s` |' % (k, sources.get(k, '–')))
    lines += [
        '',
        'Cost: K instructions per MB (10^3 guest instructions per 2^20 '
        'bytes) on the measured CPU (CPU 1: the benchmark process and the '
        'local NIC\'s interrupts; the peer and its NIC on CPU 0), its busy '
        '(non-idle: user + system + irq + softirq) time across the '
        'transfer from the kernel\'s per-CPU idle accounting in ns '
        '(/proc/timer_list), under `-icount shift=0,sleep=off`: one guest '
        'ns = one instruction.  Lower is better.  Median of the runs, '
        '(min..max).  '
        'series/stock < 1: the series is cheaper.  '
        '(zc − floor)/(copy − floor): the part of the copy cost above the '
        'copy-free floor that zero-copy still pays (0 = as cheap as the '
        'floor, 1 = as dear as copying).  MB/s is guest throughput, for '
        'information only.  –: no data, or copy not above the floor.',
        '',
        '**Caveat (measured):** QEMU runs the two vCPUs one at a time on '
        'one instruction clock, so the busy time of CPU 1 includes peer '
        '(CPU 0) instructions executed while CPU 1 was busy but not '
        'running.  Against exact per-vCPU instruction counts (TCG plugin '
        'bench/icount_pcpu.c, stock kernel, 32 MB bulk receive) the '
        'receive figures here are 30-44 % too high (sendfile peer), by '
        'different amounts per variant (zc − floor ≈ 370 here vs 180 '
        'exact); send figures about 10 %.  See README.md, "Benchmark".',
        '',
    ]
    for kind in ('rx', 'tx'):
        lines += ['## %s' % TITLE[kind], '']
        if any(k[0] == kind for k in stats):
            lines += table(stats, kind)
        else:
            lines.append('No %s runs.' % TITLE[kind].lower())
        lines.append('')
    lines += goals(stats)
    lines += ['## Raw runs', '',
              'busy: the measured CPU\'s busy ns; peer: the other CPU\'s; '
              'wall: guest clock across the run; overlap ≥: busy + peer − '
              'wall, a lower bound of the time both CPUs were busy at once '
              '(when QEMU runs one, the other, if busy, counts that time '
              'too).', '',
              '| kernel | kind | workload | variant | size | run | bytes '
              '| busy ns | peer ns | wall ns | overlap ≥ ns | K instr/MB '
              '| peer K instr/MB | MB/s |',
              '|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for r in runs:
        lines.append('| %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %d '
                     '| %.0f | %.0f | %.1f |' % (
                         r['kernel'], r['kind'], r['workload'], r['variant'],
                         r['size'], r['run'], r['bytes'], r['busy'],
                         r['peer'], r['wall'], r['overlap'], r['cost'],
                         r['peer'] / 1000 / (r['bytes'] / MB), r['mbps']))
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
              'trunc': 'tab:gray', 'sendfile': 'tab:gray'}
    style = {'stock': dict(linestyle='--', markerfacecolor='white'),
             'series': dict(linestyle='-')}
    dodge = {'stock': 0.96, 'series': 1.04}     # keep error bars apart
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2))
    for ax, kind in zip(axes, ('rx', 'tx')):
        keys = [k for k in stats if k[0] == kind]
        sizes = sorted({parse_size(k[3]) for k in keys} - {None})
        has_bulk = any(k[3] == 'bulk' for k in keys)
        bulk_x = (sizes[-1] if sizes else 1 << 20) * 4
        vals = []
        variants = sorted({k[2] for k in keys},
                          key=lambda v: ORDER[kind].index(v)
                          if v in ORDER[kind] else 99)
        for var in variants:
            for kernel in KERNELS:
                pts = sorted((parse_size(k[3]), stats[k]) for k in keys
                             if k[2] == var and k[4] == kernel
                             and k[3] != 'bulk')
                bulk = stats.get((kind, 'bulk', var, 'bulk', kernel))
                if not pts and not bulk:
                    continue
                label = '%s, %s' % (var, kernel)
                kw = dict(color=colors.get(var), marker='o', markersize=5,
                          capsize=3, **style[kernel])
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
        elif '=' in a and a.split('=', 1)[0] in KERNELS:
            k, v = a.split('=', 1)
            sources[k] = v
        else:
            die('unexpected argument %r (usage: OUTDIR stock=FILE '
                'series=FILE [--meta KEY=VALUE ...])' % a)
    if not sources:
        die('no input: give stock=FILE and/or series=FILE')
    if not any(k == 'date' for k, _ in meta):
        meta.insert(0, ('date', datetime.datetime.now(datetime.timezone.utc)
                        .strftime('%Y-%m-%d %H:%M UTC')))
    runs = []
    for k in KERNELS:
        if k in sources:
            runs += read_runs(k, sources[k])
    if not runs:
        die('no runs in %s' % ', '.join(sources.values()))
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
