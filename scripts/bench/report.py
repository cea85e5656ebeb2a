#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table and the bench: line of `make bench`, from the VMs' console logs.

Usage: report.py STOCK_LOG AFFECTED_LOG [WINDOW_LOG...] [--xda-net-size N]
                 [--machine TEXT]

WINDOW_LOG: the console log of a VM that measured only the load cost
(xda.bench=window), at one possible-CPU count and in one mode.

Reads the "bench-*: key=value ..." lines scenario.sh printed.  Every figure
is a median over rounds; every ratio is the median of ratios taken within
one round (both variants measured close together, in alternating order),
so that the host's load drifting during the run hits both sides alike.
Prints figures only; nothing here judges them.
"""

import argparse
import re
import statistics
import sys

LINE = re.compile(r'^(bench-[a-z0-9]+): (.*)$')


def parse(path):
    """{kind: [dict of fields]} from one console log."""
    out = {}
    with open(path, errors='replace') as f:
        for raw in f:
            m = LINE.match(raw.rstrip('\n'))
            if not m:
                continue
            fields = {}
            for word in m.group(2).split():
                if '=' in word:
                    k, v = word.split('=', 1)
                    fields[k] = v
            out.setdefault(m.group(1), []).append(fields)
    return out


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return float('nan')


def med(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float('nan')


def quartiles(values):
    values = sorted(v for v in values if v == v)
    if len(values) < 2:
        return (med(values), med(values))
    q = statistics.quantiles(values, n=4, method='inclusive')
    return (q[0], q[2])


def fmt(v, digits=0):
    if v != v:
        return '-'
    if digits == 0:
        return f'{v:,.0f}'
    return f'{v:,.{digits}f}'


def table(rows, head):
    widths = [max(len(str(r[i])) for r in [head] + rows)
              for i in range(len(head))]
    lines = ['  '.join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths)))
             for r in [head] + rows]
    lines.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join('  ' + line for line in lines)


def ncpus(spec):
    """Number of CPUs in a list such as 0-1 or 0,2-3."""
    n = 0
    for part in spec.split(','):
        if '-' in part:
            a, b = part.split('-')
            n += int(b) - int(a) + 1
        elif part:
            n += 1
    return n


def kmalloc_bucket(size):
    for b in (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192):
        if size <= b:
            return b
    return size


# ---- 1. hot path -----------------------------------------------------------

def hot_path(stock, out):
    runs = stock.get('bench-hot', [])
    rounds = sorted({int(f['round']) for f in runs})

    def pick(state, cpus):
        return [f for f in runs if f['state'] == state and int(f['cpus']) == cpus]

    def values(state, cpus, field, over=None):
        return [num(f.get(field)) / (num(f[over]) if over else 1)
                for f in pick(state, cpus) if not over or num(f[over])]

    rows = []
    for label, state, field in (
            ("kernel's per-net counter (no module)", 'kernel', 'real'),
            ("module's storage (mode=force)", 'module', 'real'),
            ('yardstick: copy with dst_entries_init()', None, 'copy'),
            ('one shared atomic_long_t (reference)', None, 'atomic'),
            ('no count at all (reference)', None, 'none')):
        row = [label]
        for cpus in (1, 2):
            vals = (values(state, cpus, field) if state else
                    values('kernel', cpus, field) + values('module', cpus, field))
            row.append(fmt(med(vals)))
        for cpus in (1, 2):
            vals = (values(state, cpus, field, 'copy') if state else
                    values('kernel', cpus, field, 'copy') +
                    values('module', cpus, field, 'copy'))
            row.append(fmt(med(vals), 3))
        rows.append(row)
    out.append('1. Hot path: dst_alloc() + dst_release_immediate() pairs per second on a\n'
               '   namespace\'s xfrm4 dst_ops, stock kernel (median of %d rounds without\n'
               '   and with the module; variants interleaved in 1 ms slots in each run)'
               % len(rounds))
    out.append(table(rows, ['variant', '1 CPU', '2 CPUs', '/yardstick 1',
                            '/yardstick 2']))
    res = {}
    for cpus in (1, 2):
        k = values('kernel', cpus, 'real', 'copy')
        m = values('module', cpus, 'real', 'copy')
        qk, qm = quartiles(k), quartiles(m)
        res[cpus] = med(m) / med(k)
        # Without the yardstick: module and kernel rates of the same round.
        direct = [num(a['real']) / num(b['real'])
                  for a in pick('module', cpus) for b in pick('kernel', cpus)
                  if a['round'] == b['round'] and num(b['real'])]
        out.append('   %d CPU%s: module/kernel = %s (real/yardstick quartiles: without the'
                   ' module %s..%s, with it %s..%s); without the yardstick: %s'
                   % (cpus, 's' if cpus > 1 else '', fmt(res[cpus], 3),
                      fmt(qk[0], 3), fmt(qk[1], 3), fmt(qm[0], 3), fmt(qm[1], 3),
                      fmt(med(direct), 3)))
    crow = []
    for label, field in (('percpu_counter_add_batch(), yardstick', 'count_percpu'),
                         ('one shared atomic_long_t', 'count_atomic')):
        crow.append([label] + [fmt(med(values('kernel', c, field) +
                                       values('module', c, field)))
                               for c in (1, 2)])
    out.append('   The count alone (+1 then -1, no dst entry), pairs per second:')
    out.append(table(crow, ['', '1 CPU', '2 CPUs']))
    loads = stock.get('bench-hotload', [])
    if loads:
        states = sorted({' '.join(f'{k}={v}' for k, v in f.items()
                                  if k in ('ipv4', 'ipv6')) for f in loads})
        out.append('   storage while measuring the module: %s' % '; '.join(states))
    # The lower of the two is the figure the goal is held against.
    return {'hotpath_ratio': min(res[1], res[2]),
            'atomic_vs_percpu': med(values('kernel', 2, 'atomic', 'real'))}


# ---- 2. load cost ----------------------------------------------------------

def fit(xs, ys):
    """Least squares y = a + b x: (a, b, r^2)."""
    if len(set(xs)) < 2:
        return (float('nan'),) * 3
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    syy = sum((y - my) ** 2 for y in ys)
    b = sxy / sxx
    return my - b * mx, b, (sxy * sxy / (sxx * syy) if syy else float('nan'))


def load_cost(aff, out):
    by, walk = {}, {}
    for f in aff.get('bench-load', []):
        by.setdefault(int(f['n']), []).append(f)
    for f in aff.get('bench-walk', []):
        walk[int(f['n'])] = f
    rows, xs, ys = [], [], []
    for n in sorted(by):
        fs = by[n]
        nets = med([num(f['counters']) / 2 for f in fs])
        stops = [num(f['stop_us']) for f in fs]
        xs.append(nets)
        ys.append(min(stops) * 1000)
        w = walk.get(n, {})
        wn = num(w.get('nets'))
        rows.append([fmt(n), fmt(nets), fmt(min(stops)), fmt(med(stops)),
                     fmt(min(stops) * 1000 / nets if nets else float('nan')),
                     fmt(num(w.get('best_ns')) / wn) if wn else '-',
                     fmt(med([num(f['insmod_ms']) for f in fs]), 1),
                     fmt(med([num(f['rmmod_ms']) for f in fs]), 1)])
    a, b, r2 = fit(xs, ys)
    out.append('2. Load cost, affected kernel, mode=auto (%d loads at each count). stop:\n'
               '   time inside the stop_machine() callback, from the module\'s log line\n'
               '   (min: least disturbed by the host; ns/netns from it); walk: the same\n'
               '   fields read in a plain loop with interrupts off (xda_bench walk)'
               % (len(next(iter(by.values()))) if by else 0))
    out.append(table(rows, ['namespaces', 'attached', 'stop us min', 'median',
                            'ns/netns', 'walk ns/netns', 'insmod ms', 'rmmod ms']))
    out.append('   least squares over the minima: stop = %s us + %s ns x namespaces'
               ' (r^2 = %s)' % (fmt(a / 1000, 1), fmt(b, 1), fmt(r2, 4)))
    ins = [num(f['insmod_ms']) for f in by.get(1000, [])]
    return {'stop_ns_per_netns': b, 'insmod_ms_1000': med(ins)}


# ---- 2b. the stop window at several possible-CPU counts --------------------

def storage_left(loads):
    """Which storage the counters left at load: shared, private or both."""
    if any(f.get('shared') == '?' for f in loads if num(f['counters'])):
        return '?'
    shared = {num(f.get('shared')) == num(f['counters']) for f in loads
              if num(f['counters'])}
    private = {num(f.get('shared')) == 0 for f in loads if num(f['counters'])}
    if shared == {True}:
        return 'shared'
    if private == {True}:
        return 'private'
    return 'mixed' if shared else 'none'


def ratio(v, base):
    return fmt(v / base, 3) if base == base and base else '-'


def private_at_256(groups, out):
    """What a 256-CPU host with 4000 namespaces would hold every CPU for:
    private storage's sum reads both counters' slot on every possible
    CPU, so the cost per read is the growth between the fewest and the
    most CPUs measured, over the reads added."""
    priv = sorted((cpus, g['top']) for (_, _, cpus), g in groups.items()
                  if g['left'] == 'private' and g['top'] == g['top'])
    if not priv:
        return {}
    (lo, t_lo), (hi, t_hi) = priv[0], priv[-1]
    if hi > lo:
        per_read = (t_hi - t_lo) / (2 * (hi - lo))
        how = '(%s - %s) ns per\n   namespace / (2 counters x (%d - %d) CPUs)' % (
            fmt(t_hi), fmt(t_lo), hi, lo)
    else:
        lo, t_lo = 0, 0.0
        per_read = t_hi / (2 * hi)
        how = '%s ns per\n   namespace / (2 counters x %d CPUs)' % (fmt(t_hi), hi)
    per_net = t_lo + 2 * (256 - lo) * per_read
    out.append('   private storage, per slot read inside the window: %s = %s ns.\n'
               '   At 256 possible CPUs: %s + 2 x %d x %s = %s ns per namespace;\n'
               '   x 4,000 namespaces = %s ms with every CPU held (at this VM\'s cost\n'
               '   per read: TCG takes a software TLB miss for nearly every slot)'
               % (how, fmt(per_read, 1), fmt(t_lo), 256 - lo, fmt(per_read, 1),
                  fmt(per_net), fmt(4000 * per_net / 1e6, 1)))
    return {'private_read_ns': per_read, 'private_256_4000_ms': 4000 * per_net / 1e6}


def window(logs, out):
    """One VM per (kernel, mode, possible CPUs): the table, and per VM the
    cost per namespace at its most namespaces and the slope over its counts."""
    rows, groups = [], {}
    for log in logs:
        info = (log.get('bench-info') or [{}])[0]
        loads = log.get('bench-load', [])
        if not loads:
            continue
        cpus = ncpus(info.get('possible', '0'))
        mode = loads[0].get('mode', '?')
        kernel = re.sub(r'^.*-xda-', '', info.get('release', '?'))
        memtotal = num(info.get('memtotal_kb'))
        holds = dict(zip((int(f['n']) for f in log.get('bench-walk', [])),
                         log.get('bench-hold', [])))
        walks = {int(f['n']): f for f in log.get('bench-walk', [])}
        by = {}
        for f in loads:
            by.setdefault(int(f['n']), []).append(f)
        xs, ys = [], []
        for n in sorted(by):
            fs = by[n]
            nets = med([num(f['counters']) / 2 for f in fs])
            stops = [num(f['stop_us']) for f in fs]
            w = walks.get(n, {})
            wn = num(w.get('nets'))
            used = memtotal - num(holds.get(n, {}).get('memfree_kb'))
            if nets:
                xs.append(nets)
                ys.append(min(stops) * 1000)
            rows.append((cpus, n, kernel, [
                str(cpus), fmt(n), '%s, %s' % (kernel, mode), storage_left(fs),
                fmt(min(stops)), fmt(med(stops)),
                fmt(min(stops) * 1000 / nets if nets else float('nan')),
                fmt(num(w.get('best_ns')) / wn) if wn else '-',
                fmt(num(w.get('fields_ns')) / wn, 1) if wn else '-',
                fmt(used / 1024)]))
        groups[(kernel, mode, cpus)] = {
            'top': ys[-1] / xs[-1] if xs else float('nan'), 'at': max(by),
            'slope': fit(xs, ys)[1], 'left': storage_left(loads),
            'loads': len(by[min(by)])}
    if not rows:
        out.append('2b. Stop window at several possible-CPU counts: no figures')
        return {'pcpu64': float('nan'), 'pcpu64_ratio': float('nan')}
    rows.sort(key=lambda r: (r[0], r[1], r[2] != 'affected', r[2]))
    out.append('2b. Stop window at several possible-CPU counts (possible_cpus=N, 2 CPUs\n'
               '   online; one VM each, %d loads at each count): stop as in 2; walks\n'
               '   (xda_bench walk, ns/netns): "sum" reads both counters and their slot\n'
               '   on every possible CPU (what leaving private storage reads), "counter"\n'
               '   only the counters (what leaving shared storage reads); guest MiB:\n'
               '   MemTotal - MemFree with the namespaces held'
               % max(g['loads'] for g in groups.values()))
    out.append(table([r[3] for r in rows],
                     ['possible CPUs', 'namespaces', 'kernel, mode', 'storage left',
                      'stop us min', 'median', 'ns/netns', 'walk: sum', 'counter',
                      'guest MiB']))
    nan = {'top': float('nan'), 'slope': float('nan')}
    srows = []
    for (kernel, mode, cpus), g in sorted(
            groups.items(), key=lambda g: (g[0][0] != 'affected', g[0][0], g[0][2])):
        base = groups.get((kernel, mode, 2), nan)
        srows.append(['%s, %s (%s)' % (kernel, mode, g['left']), str(cpus), fmt(g['at']),
                      fmt(g['top'], 1), ratio(g['top'], base['top']),
                      fmt(g['slope'], 1), ratio(g['slope'], base['slope'])])
    out.append('   ns per namespace inside the window: the minimum at the most namespaces\n'
               '   of one VM over that count (the bench figure; includes the fixed part),\n'
               '   and the least-squares slope over the minima at its counts (without it,\n'
               '   but thrown off when the cost of one load swings from load to load)')
    out.append(table(srows, ['kernel, mode (storage left)', 'possible CPUs', 'at',
                             'ns/netns', '/ 2 CPUs', 'slope', '/ 2 CPUs']))
    res = {'pcpu64': float('nan'), 'pcpu64_ratio': float('nan')}
    for (kernel, mode, cpus), g in groups.items():
        if mode == 'auto' and g['left'] in ('shared', '?') and cpus == 64:
            base = groups.get((kernel, mode, 2), nan)['top']
            res = {'pcpu64': g['top'],
                   'pcpu64_ratio': g['top'] / base if base else float('nan')}
    res.update(private_at_256(groups, out))
    return res


# ---- 3. namespace churn ----------------------------------------------------

def churn(logs, out):
    res = {}
    rows = []
    n = '?'
    for kernel, log in logs:
        rate, create = {}, {}
        for f in log.get('bench-churn', []):
            rate.setdefault(f['state'], {})[int(f['round'])] = num(f['per_sec'])
            create.setdefault(f['state'], []).append(num(f.get('create_med_ms')))
            n = f.get('n', n)
        none, mod = rate.get('none', {}), rate.get('module', {})
        ratios = [mod[r] / none[r] for r in none if r in mod and none[r]]
        res[kernel] = med(ratios)
        q = quartiles(ratios)
        one = {}
        for f in log.get('bench-churn1', []):
            one.setdefault(f['state'], {}).setdefault(int(f['round']), []).append(
                num(f['total_ms']))
        one_none = {r: med(v) for r, v in one.get('none', {}).items()}
        one_mod = {r: med(v) for r, v in one.get('module', {}).items()}
        one_ratios = [one_none[r] / one_mod[r] for r in one_none
                      if r in one_mod and one_mod[r]]
        res[kernel + '_one'] = med(one_ratios)
        rows.append([kernel, fmt(med(none.values()), 1), fmt(med(mod.values()), 1),
                     fmt(med(ratios), 3), '%s..%s' % (fmt(q[0], 3), fmt(q[1], 3)),
                     fmt(med(create.get('none', [])), 2),
                     fmt(med(create.get('module', [])), 2),
                     fmt(med(one_none.values()), 1), fmt(med(one_mod.values()), 1),
                     fmt(med(one_ratios), 3)])
    out.append('3. Namespaces made and dismantled per second (rounds of %s, timed until\n'
               '   every exit method has run; ratio = median of the per-round ratios);\n'
               '   unshare: median time of one unshare(CLONE_NEWNET); one at a time: ms\n'
               '   from making one namespace to its end, and the rate ratio' % n)
    out.append(table(rows, ['kernel', 'no module', 'mode=auto', 'ratio', 'quartiles',
                            'unshare ms', 'w/ module', 'one ms', 'w/ module',
                            'ratio']))
    return {'netns_ratio': res.get('affected', float('nan')),
            'netns_ratio_stock': res.get('stock', float('nan'))}


# ---- 4. memory -------------------------------------------------------------

def memory(aff, out, xda_net_size):
    snaps = {f['when']: f for f in aff.get('bench-mem', [])}
    info = (aff.get('bench-info') or [{}])[0]
    load = (aff.get('bench-memload') or [{}])[0]
    if 'before' not in snaps or 'after' not in snaps:
        out.append('4. Memory: no figures')
        return {'bytes_per_netns': float('nan')}
    b, a = snaps['before'], snaps['after']
    nets = num(load.get('counters')) / 2
    possible = ncpus(info.get('possible', '0'))
    d_percpu = (num(a['percpu_kb']) - num(b['percpu_kb'])) * 1024
    d_slab = (num(a['slab_kb']) - num(b['slab_kb'])) * 1024
    caches = aff.get('bench-slab', [])
    d_objs = sum(int(f['objs']) * int(f['objsize']) for f in caches)
    pde_size = num(a['pde_size'])
    percpu_calc = 2 * 4 * possible
    xda_net = kmalloc_bucket(int(xda_net_size)) if xda_net_size else float('nan')
    calc = percpu_calc + xda_net + pde_size
    measured = (d_percpu + d_objs) / nets
    rows = [
        ['percpu storage: 2 families x s32 x %d possible CPUs' % possible,
         fmt(percpu_calc), fmt(d_percpu / nets, 1),
         'Percpu: %+d kB (counted in pages)' % (d_percpu / 1024)],
        ['struct xda_net, net_generic() (%s bytes: kmalloc-%s)'
         % (xda_net_size or '?', fmt(xda_net)), fmt(xda_net), '', ''],
        ['/proc/net/xfrm_dst_acct entry (proc_dir_entry)', fmt(pde_size), '', ''],
    ]
    for f in caches:
        rows.append(['  slab cache %s' % f['cache'], '',
                     fmt(int(f['objs']) * int(f['objsize']) / nets, 1),
                     '%+d objects of %s bytes' % (int(f['objs']), f['objsize'])])
    rows += [
        ['slab objects, all caches above', fmt(xda_net + pde_size),
         fmt(d_objs / nets, 1), 'Slab: %+d kB (counted in pages)' % (d_slab / 1024)],
        ['total per namespace', fmt(calc), fmt(measured, 1), ''],
        ['total for %d namespaces' % nets, fmt(calc * nets),
         fmt(d_percpu + d_objs), ''],
    ]
    out.append('4. Memory the module adds per namespace (affected kernel, first load with\n'
               '   %d namespaces; measured = /proc/slabinfo and /proc/meminfo before and\n'
               '   after the load)' % nets)
    out.append(table(rows, ['', 'computed B', 'measured B', 'kernel accounting']))
    return {'bytes_per_netns': measured}


# ---- 5. end to end ---------------------------------------------------------

def e2e(aff, out):
    by, wall, pk, states = {}, {}, {}, {}
    for f in aff.get('bench-e2e', []):
        by.setdefault(f['state'], {})[int(f['round'])] = num(f['med_per_sec'])
        wall.setdefault(f['state'], []).append(num(f['per_sec']))
        pk.setdefault(f['state'], [0, 0, 0])
        pk[f['state']][0] += int(f.get('ok', 0))
        pk[f['state']][1] += int(f.get('runs', 0))
        pk[f['state']][2] += int(f.get('esp_packets', 0))
        states[f['state']] = f.get('ipv4', '?')
    none, mod = by.get('none', {}), by.get('module', {})
    ratios = [mod[r] / none[r] for r in none if r in mod and none[r]]
    q = quartiles(ratios)
    rows = []
    for state, label in (('none', 'no module (storage shared)'),
                         ('module', 'mode=auto (storage: %s)' % states.get('module', '?'))):
        ok, runs, esp = pk.get(state, [0, 0, 0])
        rows.append([label, fmt(med(by.get(state, {}).values()), 1),
                     fmt(med(wall.get(state, [])), 1),
                     fmt(med(ratios), 3) if state == 'module' else '',
                     '%d/%d' % (ok, runs), str(esp)])
    out.append('5. End to end: `ping -c 1` over ESP between two namespaces, affected kernel\n'
               '   (pings/s from the median ping; wall: pings over the whole time)')
    out.append(table(rows, ['', 'pings/s', 'wall', 'ratio', 'replies', 'ESP out']))
    out.append('   ratio per round: quartiles %s..%s' % (fmt(q[0], 3), fmt(q[1], 3)))
    return {'e2e_ratio': med(ratios)}


# ---- 6. accuracy -----------------------------------------------------------

def accuracy(stock, out):
    rows = []
    res = {}
    for state, label in (('kernel', "kernel's storage"), ('module', "module's storage")):
        fs = [f for f in stock.get('bench-acc', []) if f['state'] == state]
        if not fs:
            continue
        diff = max(int(f['max_diff']) for f in fs)
        skew = max(int(f['max_skew']) for f in fs)
        bound = int(fs[0]['bound'])
        samples = sum(int(f['samples']) for f in fs)
        rows.append([label, fmt(samples), str(diff), str(skew), str(bound)])
        res[state] = diff
    out.append('6. Accuracy under full load (both CPUs allocating and freeing):'
               ' |fast read - exact sum|')
    out.append(table(rows, ['', 'samples', 'max, one instant', 'max, two reads',
                            'bound batch x CPUs']))
    return {'max_fast_error': res.get('module', float('nan'))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('stock')
    ap.add_argument('affected')
    ap.add_argument('window', nargs='*')
    ap.add_argument('--xda-net-size', type=int, default=0)
    ap.add_argument('--machine', default='')
    args = ap.parse_args()
    stock, aff = parse(args.stock), parse(args.affected)
    windows = [parse(w) for w in args.window]

    out = []
    if args.machine:
        out.append(args.machine)
    for name, log in (('stock', stock), ('affected', aff)):
        info = (log.get('bench-info') or [{}])[0]
        out.append('%s VM: %s, CPUs possible %s online %s, clock %s, %s MiB'
                   % (name, info.get('release', '?'), info.get('possible', '?'),
                      info.get('online', '?'), info.get('clocksource', '?'),
                      fmt(num(info.get('memtotal_kb')) / 1024)))
    out.append('')
    res = {}
    for step in (lambda: hot_path(stock, out), lambda: load_cost(aff, out),
                 lambda: window(windows, out),
                 lambda: churn([('stock', stock), ('affected', aff)], out),
                 lambda: memory(aff, out, args.xda_net_size),
                 lambda: e2e(aff, out), lambda: accuracy(stock, out)):
        res.update(step())
        out.append('')
    print('\n'.join(out))
    print('bench: hotpath_ratio=%s atomic_vs_percpu=%s stop_ns_per_netns=%s '
          'stop_ns_per_netns_pcpu64=%s pcpu64_ratio=%s '
          'insmod_ms_1000=%s netns_ratio=%s bytes_per_netns=%s e2e_ratio=%s '
          'max_fast_error=%s'
          % (fmt(res['hotpath_ratio'], 3), fmt(res['atomic_vs_percpu'], 3),
             fmt(res['stop_ns_per_netns']).replace(',', ''),
             fmt(res['pcpu64']).replace(',', ''), fmt(res['pcpu64_ratio'], 3),
             fmt(res['insmod_ms_1000'], 1).replace(',', ''),
             fmt(res['netns_ratio'], 3),
             fmt(res['bytes_per_netns']).replace(',', ''),
             fmt(res['e2e_ratio'], 3),
             fmt(res['max_fast_error'])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
