#!/usr/bin/env python3
"""Helpers of bench/files.sh (file-replication benchmark). Standard library only.

Subcommands (all times are time.time() epoch seconds unless said otherwise):
  gen-small DIR N NDIRS SEED        N files of 1-16 KiB (random sizes and bytes, fixed seed) in NDIRS
                                    nested dirs (dNN/sMM)
  gen-big DIR COUNT MIB SEED        COUNT files of MIB MiB of random bytes (fixed seed)
  manifest DIR OUT                  JSON {relpath: [size, sha256]} of the regular files under DIR
  verify MANIFEST DIR               exit 0 when DIR holds exactly the files of MANIFEST (size+sha256)
  wait-tree MANIFEST DIR T0 TIMEOUT [INTERVAL]
                                    polls DIR until it matches MANIFEST; prints JSON {"ok","seconds"}
                                    where seconds = start of the first matching poll - T0
  latency SRC DST N GAP_MIN GAP_MAX TIMEOUT [SIZE]
                                    N samples: a plain write of a new SIZE-byte file in SRC, then the
                                    time until DST holds it with the right size and content, seen by
                                    an inotify watch on DST (ctypes) with a stat fallback every 20 ms
  edit-insert FILE OFFSET NBYTES STAGE_DIR SEED
                                    writes FILE's content with NBYTES random bytes inserted at OFFSET
                                    to STAGE_DIR (same file system, outside the synced dir), then
                                    renames it over FILE; prints {"t0","sha256","size"} (t0 after rename)
  edit-overwrite FILE OFFSET NBYTES SEED
                                    overwrites NBYTES at OFFSET in place (like dd conv=notrunc);
                                    prints {"t0","sha256","size"}; the hash is computed before the write
  wait-file FILE SHA256 T0 TIMEOUT  polls FILE (stat every 20 ms, hash on change) until its content has
                                    SHA256; prints {"ok","seconds"}
  rss OUT PID...                    every 0.2 s sums VmRSS over the PIDs and all their descendants;
                                    on SIGTERM/SIGINT writes {"peak_mib","samples"} to OUT
  st-config HOME GUI_PORT API_KEY LISTEN_PORT PEER_ID PEER_NAME PEER_PORT LOW_PRIORITY
                                    edits a generated Syncthing config.xml for a loopback-only bench
  report RESULTS_JSONL              the human tables (with tandem/other ratios) and the BENCH_JSON line
Names in FSBENCH_IGNORE (comma-separated, default ".stfolder,.stversions,.stignore") are skipped
wherever they occur as a path component, so tool metadata does not count as a difference.
"""
import ctypes
import hashlib
import json
import os
import random
import select
import signal
import struct
import sys
import time

IGNORE = set(filter(None, os.environ.get("FSBENCH_IGNORE", ".stfolder,.stversions,.stignore").split(",")))
CHUNK = 1 << 20


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(4 * CHUNK)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def walk_files(root):
    """Yields (relpath, DirEntry) of regular files under root, skipping ignored names."""
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            it = os.scandir(os.path.join(root, rel) if rel else root)
        except FileNotFoundError:
            continue
        with it:
            for e in it:
                if e.name in IGNORE:
                    continue
                r = f"{rel}/{e.name}" if rel else e.name
                if e.is_dir(follow_symlinks=False):
                    stack.append(r)
                elif e.is_file(follow_symlinks=False):
                    yield r, e


def manifest(root):
    return {r: [e.stat(follow_symlinks=False).st_size, sha256_file(e.path)] for r, e in walk_files(root)}


def rng_bytes(rng, n):
    return rng.getrandbits(n * 8).to_bytes(n, "little") if n else b""


# ------------------------------------------------------------------------------------------------
def cmd_gen_small(d, n, ndirs, seed):
    n, ndirs = int(n), int(ndirs)
    rng = random.Random(int(seed))
    top = max(1, int(round(ndirs ** 0.5)))
    dirs = [os.path.join(d, f"d{i % top:02d}", f"s{i // top:02d}") for i in range(ndirs)]
    for x in dirs:
        os.makedirs(x, exist_ok=True)
    total = 0
    for i in range(n):
        size = rng.randint(1024, 16384)
        with open(os.path.join(dirs[i % ndirs], f"f{i:05d}.dat"), "wb") as f:
            f.write(rng_bytes(rng, size))
        total += size
    print(json.dumps({"files": n, "dirs": ndirs, "bytes": total}))


def cmd_gen_big(d, count, mib, seed):
    """AES-CTR keystream from openssl (about 1 GB/s, deterministic per seed); Python's PRNG otherwise."""
    import shutil
    import subprocess
    rng = random.Random(int(seed))
    os.makedirs(d, exist_ok=True)
    for i in range(int(count)):
        with open(os.path.join(d, f"big{i:02d}.bin"), "wb") as f:
            if shutil.which("openssl"):
                p = subprocess.Popen(["openssl", "enc", "-aes-128-ctr", "-nosalt", "-pbkdf2", "-pass",
                                      f"pass:fsbench-{seed}-{i}"], stdin=open("/dev/zero", "rb"),
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                left = int(mib) * CHUNK
                while left:
                    b = p.stdout.read(min(left, 4 * CHUNK))
                    f.write(b)
                    left -= len(b)
                p.kill()
                p.wait()
            else:
                for _ in range(int(mib)):
                    f.write(rng_bytes(rng, CHUNK))


def cmd_manifest(d, out):
    with open(out, "w") as f:
        json.dump(manifest(d), f)


def diff_manifest(want, got):
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    changed = [k for k in want if k in got and want[k] != got[k]]
    return missing, extra, changed


def cmd_verify(mf, d):
    with open(mf) as f:
        want = json.load(f)
    missing, extra, changed = diff_manifest(want, manifest(d))
    if missing or extra or changed:
        print(f"{d}: {len(missing)} missing, {len(extra)} extra, {len(changed)} different "
              f"(e.g. {(missing + extra + changed)[:3]})", file=sys.stderr)
        sys.exit(1)


def cmd_wait_tree(mf, d, t0, timeout, interval="0.2"):
    """Cheap checks first (names only, then sizes), the full hash comparison only when they pass."""
    with open(mf) as f:
        want = json.load(f)
    t0, timeout, interval = float(t0), float(timeout), float(interval)
    names = set(want)
    while True:
        tp = time.time()
        ents = dict(walk_files(d))
        if set(ents) == names and all(ents[k].stat(follow_symlinks=False).st_size == want[k][0] for k in names):
            got = {k: [want[k][0], sha256_file(ents[k].path)] for k in names}
            if got == want:
                print(json.dumps({"ok": True, "seconds": round(tp - t0, 3)}))
                return
        if time.time() - t0 > timeout:
            missing, extra, changed = diff_manifest(want, {k: [e.stat().st_size, ""] for k, e in ents.items()})
            print(json.dumps({"ok": False, "seconds": None, "missing": len(missing), "extra": len(extra),
                              "size_differs": len([k for k in changed if want[k][0] != ents[k].stat().st_size])}))
            return
        time.sleep(max(0.0, interval - (time.time() - tp)))


# ------------------------------------------------------------------------------------------------
IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x2, 0x8, 0x80, 0x100


def inotify(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    if libc.inotify_add_watch(fd, path.encode(), IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0:
        raise OSError(ctypes.get_errno(), f"inotify_add_watch {path}")
    return fd


def drain(fd):
    names = set()
    while True:
        try:
            buf = os.read(fd, 65536)
        except BlockingIOError:
            return names
        i = 0
        while i < len(buf):
            _, _, _, ln = struct.unpack_from("iIII", buf, i)
            names.add(buf[i + 16:i + 16 + ln].rstrip(b"\0").decode(errors="replace"))
            i += 16 + ln


def complete(path, data):
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as f:
            return f.read() == data
    except FileNotFoundError:
        return False


def pct(vals, p):
    """Nearest-rank percentile."""
    v = sorted(vals)
    k = max(1, -(-len(v) * p // 100))
    return v[int(k) - 1]


def cmd_latency(src, dst, n, gmin, gmax, timeout, size="4096"):
    n, gmin, gmax, timeout, size = int(n), float(gmin), float(gmax), float(timeout), int(size)
    fd = inotify(dst)
    tag = f"{os.getpid()}-{int(time.time())}"
    lat, timeouts = [], 0
    for i in range(n):
        time.sleep(random.uniform(gmin, gmax))
        drain(fd)
        name = f"lat-{tag}-{i:04d}.bin"
        data = os.urandom(size)
        target = os.path.join(dst, name)
        t0 = time.monotonic()
        w = os.open(os.path.join(src, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(w, data)
        os.close(w)
        while True:
            r, _, _ = select.select([fd], [], [], 0.02)
            seen = drain(fd) if r else set()
            if (name in seen or not r) and complete(target, data):
                lat.append((time.monotonic() - t0) * 1000)
                break
            if time.monotonic() - t0 > timeout:
                timeouts += 1
                print(f"latency: {name} not on the replica after {timeout:.0f} s", file=sys.stderr)
                break
        if timeouts >= 3:
            print("latency: 3 timeouts, giving up on this tool", file=sys.stderr)
            break
    out = {"n": len(lat), "timeouts": timeouts}
    if lat:
        out.update({"p50_ms": round(pct(lat, 50), 2), "p99_ms": round(pct(lat, 99), 2),
                    "min_ms": round(min(lat), 2), "max_ms": round(max(lat), 2),
                    "mean_ms": round(sum(lat) / len(lat), 2), "all_ms": [round(x, 2) for x in lat]})
    print(json.dumps(out))


# ------------------------------------------------------------------------------------------------
def cmd_edit_insert(path, off, nbytes, stage, seed):
    off, nbytes = int(off), int(nbytes)
    ins = rng_bytes(random.Random(int(seed)), nbytes)
    tmp = os.path.join(stage, os.path.basename(path) + ".new")
    h = hashlib.sha256()
    with open(path, "rb") as fi, open(tmp, "wb") as fo:
        def copy(n):
            while n > 0:
                b = fi.read(min(n, 4 * CHUNK))
                if not b:
                    return
                fo.write(b); h.update(b); n -= len(b)
        copy(off)
        fo.write(ins); h.update(ins)
        copy(1 << 62)
    os.rename(tmp, path)
    t0 = time.time()
    print(json.dumps({"t0": t0, "sha256": h.hexdigest(), "size": os.stat(path).st_size}))


def cmd_edit_overwrite(path, off, nbytes, seed):
    off, nbytes = int(off), int(nbytes)
    patch = rng_bytes(random.Random(int(seed)), nbytes)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        pos = 0
        while True:
            b = f.read(4 * CHUNK)
            if not b:
                break
            b = bytearray(b)
            lo, hi = max(off, pos), min(off + nbytes, pos + len(b))
            if lo < hi:
                b[lo - pos:hi - pos] = patch[lo - off:hi - off]
            h.update(b)
            pos += len(b)
    fd = os.open(path, os.O_WRONLY)
    os.pwrite(fd, patch, off)
    os.close(fd)
    t0 = time.time()
    print(json.dumps({"t0": t0, "sha256": h.hexdigest(), "size": os.stat(path).st_size}))


def cmd_wait_file(path, sha, t0, timeout):
    t0, timeout = float(t0), float(timeout)
    last = None
    while True:
        tp = time.time()
        try:
            st = os.stat(path)
            key = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        except FileNotFoundError:
            key = None
        if key is not None and key != last:
            last = key
            if sha256_file(path) == sha:
                print(json.dumps({"ok": True, "seconds": round(tp - t0, 3)}))
                return
        if time.time() - t0 > timeout:
            print(json.dumps({"ok": False, "seconds": None}))
            return
        time.sleep(0.02)


# ------------------------------------------------------------------------------------------------
def cmd_rss(out, *roots):
    roots = {int(p) for p in roots}
    peak, samples, stop = 0, 0, []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while not stop:
        kids = {}
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    with open(f"/proc/{p}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                    kids.setdefault(ppid, []).append(int(p))
                except (OSError, IndexError, ValueError):
                    pass
        todo, seen = list(roots), set()
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(kids.get(p, []))
        total = 0
        for p in seen:
            try:
                with open(f"/proc/{p}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                            break
            except OSError:
                pass
        peak = max(peak, total)
        samples += 1
        time.sleep(0.2)
    with open(out, "w") as f:
        json.dump({"peak_mib": round(peak / 1024, 1), "samples": samples}, f)


# ------------------------------------------------------------------------------------------------
def cmd_st_config(home, gui_port, api_key, listen_port, peer_id, peer_name, peer_port, low_prio):
    import xml.etree.ElementTree as ET
    path = os.path.join(home, "config.xml")
    tree = ET.parse(path)
    root = tree.getroot()
    gui = root.find("gui")
    gui.set("tls", "false")
    gui.find("address").text = f"127.0.0.1:{gui_port}"
    gui.find("apikey").text = api_key
    opts = root.find("options")

    def opt(name, value):
        for e in opts.findall(name):
            opts.remove(e)
        ET.SubElement(opts, name).text = value

    opt("listenAddress", f"tcp://127.0.0.1:{listen_port}")
    for k, v in [("globalAnnounceEnabled", "false"), ("localAnnounceEnabled", "false"), ("relaysEnabled", "false"),
                 ("natEnabled", "false"), ("urAccepted", "-1"), ("autoUpgradeIntervalH", "0"),
                 ("startBrowser", "false"), ("crashReportingEnabled", "false"),
                 ("setLowPriority", "true" if low_prio == "1" else "false")]:
        opt(k, v)
    dev = ET.SubElement(root, "device", {"id": peer_id, "name": peer_name, "compression": "metadata",
                                         "introducer": "false", "skipIntroductionRemovals": "false",
                                         "introducedBy": ""})
    ET.SubElement(dev, "address").text = f"tcp://127.0.0.1:{peer_port}"
    ET.SubElement(dev, "paused").text = "false"
    ET.SubElement(dev, "autoAcceptFolders").text = "false"
    # place the device next to the other device elements (Syncthing does not care about order)
    tree.write(path)


# ------------------------------------------------------------------------------------------------
def fmt_bytes(b):
    if b is None:
        return "-"
    return f"{b / 1e6:.2f} MB" if b >= 1e5 else f"{b / 1e3:.1f} kB"


def ratio(t, o):
    if t is None or o in (None, 0):
        return "-"
    return f"{t / o:.2f}"


def cmd_report(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    meta = next((r for r in rows if r.get("scenario") == "meta"), {})
    skipped = [r for r in rows if r.get("skipped")]
    res = [r for r in rows if r.get("scenario") not in ("meta", None) and not r.get("skipped")]
    print()
    print("== file replication benchmark (bench/files.sh) ==")
    for k in ("date", "machine", "load_start", "load_end", "versions"):
        if k in meta:
            print(f"{k + ':':11s}{meta[k]}")
    for s in skipped:
        print(f"skipped:   {s['tool']}: {s['skipped']}")

    def label(r):
        return f"{r['tool']} {r.get('variant', '')}".strip()

    lat = [r for r in res if r["scenario"] == "latency"]
    if lat:
        t = next((r for r in lat if r["tool"] == "tandem" and r.get("p50_ms") is not None), None)
        print("\n1. latency: plain write of a new 4 KiB file on the source -> right size and content on the replica")
        print(f"   {'tool':38s} {'n':>4s} {'p50 ms':>9s} {'p99 ms':>9s} {'min ms':>9s} {'max ms':>9s} {'t/o':>4s} {'tandem/other p50':>17s}")
        for r in lat:
            g = lambda k: "-" if r.get(k) is None else f"{r[k]:.1f}"
            print(f"   {label(r):38s} {r.get('n', 0):4d} {g('p50_ms'):>9s} {g('p99_ms'):>9s} {g('min_ms'):>9s} "
                  f"{g('max_ms'):>9s} {r.get('timeouts', 0):4d} {ratio(t and t['p50_ms'], r.get('p50_ms')):>17s}")
    for scen, title in (("small", "2. initial sync of many small files"), ("big", "3. initial sync of large files")):
        sr = [r for r in res if r["scenario"] == scen]
        if not sr:
            continue
        print(f"\n{title} ({sr[0].get('dataset', '')})")
        t = next((r for r in sr if r["tool"] == "tandem" and r.get("seconds") is not None), None)
        print(f"   {'tool':38s} {'seconds':>8s} {'MB/s':>8s} {'on the wire':>12s} {'peak RSS':>9s} {'ok':>3s} {'tandem/other time':>18s}")
        for r in sr:
            s = r.get("seconds")
            print(f"   {label(r):38s} {'-' if s is None else f'{s:.2f}':>8s} "
                  f"{'-' if r.get('mb_s') is None else format(r['mb_s'], '.0f'):>8s} "
                  f"{fmt_bytes(r.get('wire_bytes')):>12s} "
                  f"{'-' if r.get('rss_peak_mib') is None else format(r['rss_peak_mib'], '.0f') + ' MiB':>9s} "
                  f"{'yes' if r.get('ok') else 'NO':>3s} {ratio(t and t['seconds'], s):>18s}")
    dr = [r for r in res if r["scenario"] == "delta"]
    if dr:
        print(f"\n4. a {meta.get('delta_mib', 1024)} MiB random file in sync on both sides, then changed on the source"
              " -> identical on the replica")
        for case in dict.fromkeys(r["case"] for r in dr):
            cr = [r for r in dr if r["case"] == case]
            t = next((r for r in cr if r["tool"] == "tandem" and r.get("seconds") is not None), None)
            print(f"   {case}")
            print(f"     {'tool':36s} {'seconds':>8s} {'on the wire':>12s} {'ok':>3s} {'tandem/other bytes':>19s} {'time':>6s}")
            for r in cr:
                s = r.get("seconds")
                print(f"     {label(r):36s} {'-' if s is None else f'{s:.2f}':>8s} {fmt_bytes(r.get('wire_bytes')):>12s} "
                      f"{'yes' if r.get('ok') else 'NO':>3s} {ratio(t and t.get('wire_bytes'), r.get('wire_bytes')):>19s} "
                      f"{ratio(t and t['seconds'], s):>6s}")
    notes = [r for r in rows if r.get("scenario") == "note"]
    if notes:
        print("\nnotes:")
        for n in notes:
            print(f"   {n['text']}")
    slim = [{k: v for k, v in r.items() if k != "all_ms"} | ({"all_ms": r["all_ms"]} if "all_ms" in r else {})
            for r in rows if r.get("scenario") != "note"]
    print("BENCH_JSON " + json.dumps({"bench": "files", **{k: v for k, v in meta.items() if k != "scenario"},
                                      "results": [r for r in slim if r.get("scenario") != "meta"]},
                                     separators=(",", ":")))


if __name__ == "__main__":
    cmds = {k[4:].replace("_", "-"): v for k, v in globals().items() if k.startswith("cmd_")}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
