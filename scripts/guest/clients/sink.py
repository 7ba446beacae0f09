#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# sink.py ADDR PORT BLOCK: TCP sink for liburing's send-zerocopy (make
# clients).  Accepts one connection and reads it to the end; prints the
# bytes, whether the stream was whole blocks in order (block[i] = 'a' +
# i % 26, the example's payload; informational) and whether its byte
# histogram is exactly (bytes / BLOCK) x the block's (the check).
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
port, blk = int(sys.argv[2]), int(sys.argv[3])
block = bytes(ord('a') + i % 26 for i in range(blk))
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], port))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
# io_uring may run the requests of one submission out of order when a send
# is partial (no IOSQE_IO_LINK), so positions are not checked; with
# MSG_WAITALL every send is whole, so the byte histogram of the stream must
# be exactly blocks x the block's histogram.
hist = [0] * 256
total, off, bad = 0, 0, 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    # compare against the block, continuing at offset off
    i = 0
    while i < len(d):
        n = min(len(d) - i, blk - off)
        if d[i:i + n] != block[off:off + n]:
            bad += 1
        i += n
        off = (off + n) % blk
    total += len(d)
    for ch in set(d):
        hist[ch] += d.count(ch)
bh = [0] * 256
for ch in block:
    bh[ch] += 1
n = total // blk
ok = all(hist[i] == n * bh[i] for i in range(256)) and total % blk == 0
print(f"sink bytes={total} blocks={n} rem={total % blk} in-order={'yes' if bad == 0 else 'no'} histogram={'ok' if ok else 'BAD'}", flush=True)
