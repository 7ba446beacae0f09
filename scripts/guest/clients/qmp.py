#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# qmp.py SOCKET CMD [JSON-ARGS]: one QMP command, prints the "return" value.
# qmp.py SOCKET wait-migration: polls query-migrate until it ends.
import json, socket, sys, time


def conn(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile('rw')
    json.loads(f.readline())
    call(f, 'qmp_capabilities')
    return f


def call(f, cmd, args=None):
    m = {'execute': cmd}
    if args:
        m['arguments'] = args
    f.write(json.dumps(m) + '\n')
    f.flush()
    while True:
        r = json.loads(f.readline())
        if 'return' in r:
            return r['return']
        if 'error' in r:
            sys.exit(f"qmp {cmd}: {r['error']}")


f = conn(sys.argv[1])
if sys.argv[2] == 'wait-migration':
    t0 = time.time()
    while True:
        r = call(f, 'query-migrate')
        if r.get('status') in ('completed', 'failed', 'cancelled'):
            print(json.dumps(r, indent=1))
            print('status', r['status'], 'after %.1f s' % (time.time() - t0))
            sys.exit(0 if r['status'] == 'completed' else 1)
        if time.time() - t0 > 600:
            print(json.dumps(r, indent=1))
            sys.exit('migration did not end in 600 s')
        time.sleep(0.5)
else:
    a = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    print(json.dumps(call(f, sys.argv[2], a)))
