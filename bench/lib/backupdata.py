"""Dataset for bench/backup.sh: N files totalling about SIZE bytes, a mix a server holds (many small
text-like files that compress, some larger binary ones that do not), and the 1% change between runs.

usage: backupdata.py make DIR SIZE_MIB FILES SEED | change DIR PERCENT SEED
"""
import os
import random
import sys

WORDS = (b"order invoice customer shipped total amount paid status pending refund address street city "
         b"zip country email phone product quantity price discount tax note comment created updated").split()


def text(rnd, n):
    out = bytearray()
    while len(out) < n:
        out += b" ".join(rnd.choice(WORDS) for _ in range(12)) + b" %d\n" % rnd.randrange(10 ** 9)
    return bytes(out[:n])


def make(root, size_mib, files, seed):
    rnd = random.Random(seed)
    total = size_mib << 20
    big = max(1, files // 300)           # a few large binary files hold half the bytes
    big_size = (total // 2) // big
    small_size = (total - big * big_size) // max(1, files - big)
    for i in range(files):
        d = os.path.join(root, "d%03d" % (i % 100), "e%02d" % (i % 7))
        os.makedirs(d, exist_ok=True)
        if i < big:
            data = rnd.randbytes(big_size)
            name = "blob%04d.bin" % i
        else:
            n = max(64, int(small_size * rnd.uniform(0.2, 1.8)))
            data = text(rnd, n) if rnd.random() < 0.7 else rnd.randbytes(n)
            name = "f%06d.dat" % i
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def change(root, percent, seed):
    rnd = random.Random(seed)
    paths = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs)
    total = sum(os.path.getsize(p) for p in paths)
    budget = total * percent / 100.0
    changed = 0
    rnd.shuffle(paths)
    for p in paths:
        if changed >= budget:
            break
        size = os.path.getsize(p)
        n = min(size, max(1, int(budget - changed)), 1 << 20)
        with open(p, "r+b") as f:                      # overwrite a stretch in place, as an editor or a DB would
            f.seek(rnd.randrange(max(1, size - n + 1)))
            f.write(rnd.randbytes(n))
        changed += n


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        change(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
