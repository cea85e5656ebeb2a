#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check xfrm-dst-acct-status's outputs in a console log of the VM scenario
(scripts/status/vm-scenario.sh) against the raw /proc files printed beside
them.

Usage: scripts/status/check.py LOG VARIANT MODE

VARIANT is stock or affected, MODE the module's mode.  Prints one line per
check ("ok: ..." or "FAIL: ..."), then "checks: passed=N failed=N".  Exit
status 1 when a check failed.

JSON is read with the json module; the Prometheus text with
prometheus_client's parser (Debian: python3-prometheus-client) and a strict
line checker of the text exposition format (HELP and TYPE before the
samples of each metric, samples of one metric together, valid names,
labels and values, no duplicate series).
"""

import json
import math
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

# Which owner every namespace must show, per kernel and mode.
EXPECTED_STATE = {
    ("stock", "auto"): "kernel",
    ("stock", "force"): "own",
    ("stock", "off"): "kernel",
    ("affected", "auto"): "own",
    ("affected", "force"): "own",
    ("affected", "off"): "shared",
}
EXPECTED_AFFECTED = {"stock": "no", "affected": "yes"}
INT_MAX = 2147483647
# The scenario's TCP connections between blue and peer.
IPV4_CONNECTIONS = 3
IPV6_CONNECTIONS = 1

passed = 0
failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok: {what}")
    else:
        failed += 1
        print(f"FAIL: {what}" + (f": {detail}" if detail else ""))
    return ok


def parse_log(path):
    """Blocks by name: (stdout lines, stderr lines, rc); raw dumps in order."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    blocks, raws, info = {}, [], {}
    cur = raw = None
    for line in lines:
        m = re.match(r"^XDA-OUT-BEGIN (\S+)$", line)
        if m:
            cur = (m.group(1), [], [])
            continue
        m = re.match(r"^XDA-OUT-END (\S+) rc=(\d+)$", line)
        if m and cur and m.group(1) == cur[0]:
            blocks[cur[0]] = (cur[1], cur[2], int(m.group(2)))
            cur = None
            continue
        if cur is not None:
            if line.startswith("|"):
                cur[1].append(line[1:])
            elif line.startswith("!"):
                cur[2].append(line[1:])
            continue
        m = re.match(r"^XDA-RAW-BEGIN (\S+)$", line)
        if m:
            if not raws or m.group(1) in raws[-1]:
                raws.append({})
            raw = (m.group(1), [])
            continue
        if line.startswith("XDA-RAW-END ") and raw:
            raws[-1][raw[0]] = raw[1]
            raw = None
            continue
        if raw is not None:
            f = line.split()
            if len(f) == 6 and f[0] in ("ipv4", "ipv6"):
                raw[1].append(f)
            continue
        m = re.match(r"^status-scenario: pids peer=(\d+) idle=(\d+)$", line)
        if m:
            info["peer"], info["idle"] = int(m.group(1)), int(m.group(2))
    return blocks, raws, info


# --- Prometheus text format -------------------------------------------------

NAME_RE = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_RE = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE_RE = re.compile(
    rf"^({NAME_RE})(\{{(?:{LABEL_RE}(?:,{LABEL_RE})*)?\}})? (\S+)$")
UNIT_SUFFIXES = ("_entries", "_ratio", "_info", "_up", "_namespaces", "_warn")


def strict_prometheus(lines):
    """Errors found by a strict reading of the text exposition format."""
    errors = []
    helped, typed, done, series = set(), {}, set(), set()
    current = None
    for i, line in enumerate(lines, 1):
        if line.startswith("# HELP "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not re.fullmatch(NAME_RE, parts[2]):
                errors.append(f"line {i}: bad HELP: {line}")
                continue
            if parts[2] in helped:
                errors.append(f"line {i}: second HELP for {parts[2]}")
            helped.add(parts[2])
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in (
                    "gauge", "counter", "untyped", "summary", "histogram"):
                errors.append(f"line {i}: bad TYPE: {line}")
                continue
            if parts[2] in typed:
                errors.append(f"line {i}: second TYPE for {parts[2]}")
            if parts[2] not in helped:
                errors.append(f"line {i}: TYPE before HELP for {parts[2]}")
            typed[parts[2]] = parts[3]
            continue
        if line.startswith("#") or not line:
            errors.append(f"line {i}: unexpected line: {line!r}")
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            errors.append(f"line {i}: not a sample line: {line}")
            continue
        name, labels, value = m.groups()
        if name not in typed:
            errors.append(f"line {i}: sample of {name} before its TYPE")
        if name != current:
            if name in done:
                errors.append(f"line {i}: samples of {name} not together")
            if current:
                done.add(current)
            current = name
        key = (name, labels or "")
        if key in series:
            errors.append(f"line {i}: duplicate series {name}{labels or ''}")
        series.add(key)
        try:
            float(value)
        except ValueError:
            errors.append(f"line {i}: bad value {value}")
        if not name.endswith(UNIT_SUFFIXES):
            errors.append(f"line {i}: {name} has no unit suffix")
    for name in typed:
        if not any(k[0] == name for k in series) and name != \
                "xfrm_dst_acct_attach_value_entries":
            errors.append(f"no sample of {name}")
    return errors


def prometheus_samples(lines):
    """{(name, frozenset(labels)): value} through prometheus_client."""
    out = {}
    for fam in text_string_to_metric_families("\n".join(lines) + "\n"):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


# --- the checks ---------------------------------------------------------------

def ns_key(ns, info):
    """The scenario's name for a namespace of the tool's JSON."""
    if ns["name"] is not None:
        return ns["name"]
    if ns["pid"] == 1:
        return "init"
    if ns["pid"] == info.get("peer"):
        return "peer"
    if ns["pid"] == info.get("idle"):
        return "idle"
    return f"pid{ns['pid']}"


def check_json(tag, lines, raw, info, state, affected, low):
    try:
        doc = json.loads("\n".join(lines))
    except ValueError as e:
        check(False, f"{tag}: valid JSON", str(e))
        return None
    check(True, f"{tag}: valid JSON")
    check(doc["module"]["loaded"] is True and doc["module"]["affected"] ==
          affected, f"{tag}: module loaded, affected={affected}",
          str(doc["module"]))
    names = {ns_key(ns, info): ns for ns in doc["namespaces"]}
    check(sorted(names) == ["blue", "idle", "init", "peer", "red"],
          f"{tag}: the 5 namespaces (init, red, blue, peer, idle)",
          str(sorted(names)))
    if "red" in names:
        red = names["red"]
        check(red["pid"] is None and red["comm"] is None and
              red["processes"] == 0,
              f"{tag}: red is named and holds no process", str(red))
    for key, comm in (("init", "init"), ("peer", "tail"), ("idle", "sleep"),
                      ("blue", "nc")):
        if key in names:
            check(names[key]["comm"] == comm,
                  f"{tag}: {key}'s process is {comm}", str(names[key]["comm"]))
    bad = []
    for key, ns in names.items():
        fams = {f["family"]: f for f in ns["families"]}
        if sorted(fams) != ["ipv4", "ipv6"]:
            bad.append(f"{key}: families {sorted(fams)}")
            continue
        for row in raw.get(key, []):
            f = fams[row[0]]
            want = (int(row[1]), int(row[2]), int(row[3]), row[4],
                    None if row[5] == "-" else int(row[5]))
            got = (f["count"], f["count_exact"], f["gc_thresh"], f["state"],
                   f["attach_value"])
            if want != got:
                bad.append(f"{key}/{row[0]}: /proc {want} tool {got}")
        if len(raw.get(key, [])) != 2:
            bad.append(f"{key}: no raw /proc dump")
    check(not bad, f"{tag}: every figure equals /proc/net/xfrm_dst_acct",
          "; ".join(bad))
    states = {f["state"] for ns in doc["namespaces"] for f in ns["families"]}
    check(states == {state}, f"{tag}: every state is {state}", str(states))
    arith = []
    for ns in doc["namespaces"]:
        for f in ns["families"]:
            if f["limit"] != 2 * f["gc_thresh"]:
                arith.append(f"limit {f['limit']} for gc {f['gc_thresh']}")
            used = max(f["count_exact"], 0) / max(f["limit"], 1)
            if not math.isclose(f["used"], used, abs_tol=1e-6):
                arith.append(f"used {f['used']} != {used}")
            if f["warn"] != (used > doc["warn_fraction"]):
                arith.append(f"warn {f['warn']} at used {used}")
    check(not arith, f"{tag}: limit, used and warn follow the counts",
          "; ".join(arith))
    for key in ("blue", "peer"):
        if key in names:
            fams = {f["family"]: f for f in names[key]["families"]}
            check(fams["ipv4"]["count_exact"] >= IPV4_CONNECTIONS and
                  fams["ipv6"]["count_exact"] >= IPV6_CONNECTIONS,
                  f"{tag}: {key} counts its cached bundles "
                  f"(ipv4>={IPV4_CONNECTIONS}, ipv6>={IPV6_CONNECTIONS})",
                  str(fams))
    warned = sorted((ns_key(ns, info), f["family"]) for ns in doc["namespaces"]
                    for f in ns["families"] if f["warn"])
    if low:
        check(warned == [("blue", "ipv4")] and doc["status"] == "warn" and
              doc["exit_status"] == 1,
              f"{tag}: only blue/ipv4 above the warning, status warn",
              f"{warned} {doc['status']}")
    else:
        check(warned == [] and doc["status"] == "ok" and
              doc["exit_status"] == 0,
              f"{tag}: nothing above the warning, status ok",
              f"{warned} {doc['status']}")
    return doc


def check_table(tag, lines, doc, info, low):
    header = "NETNS INODE PID COMM FAMILY COUNT EXACT GC_THRESH USED STATE ALERT"
    check(len(lines) >= 3 and lines[0].startswith("module xfrm_dst_acct ")
          and " ".join(lines[1].split()) == header,
          f"{tag}: table header", "\n".join(lines[:2]))
    rows = [ln.split() for ln in lines[2:] if not ln.startswith("USED:")]
    check(len(rows) == 10 and all(len(r) == 11 for r in rows),
          f"{tag}: 10 rows of 11 columns (5 namespaces x 2 families)",
          str(len(rows)))
    if doc is None:
        return
    want = []
    for ns in doc["namespaces"]:
        for f in ns["families"]:
            want.append([
                ns["name"] or "-", str(ns["inode"]),
                "-" if ns["pid"] is None else str(ns["pid"]),
                ns["comm"] or "-", f["family"], str(f["count"]),
                str(f["count_exact"]), str(f["gc_thresh"]),
                f"{f['used'] * 100:.1f}%", f["state"],
                "WARN" if f["warn"] else "ok"])
    check(rows == want, f"{tag}: rows equal the JSON document",
          f"\n  table {rows}\n  json  {want}")
    alerts = [(r[0] if r[0] != "-" else r[2], r[4]) for r in rows
              if r[10] == "WARN"]
    if low:
        check(alerts == [("blue", "ipv4")], f"{tag}: WARN on blue ipv4 only",
              str(alerts))


def check_prometheus(tag, lines, doc, info, low):
    errors = strict_prometheus(lines)
    check(not errors, f"{tag}: strict text-format check", "; ".join(errors))
    try:
        samples = prometheus_samples(lines)
    except Exception as e:  # the parser raises ValueError and others
        check(False, f"{tag}: prometheus_client parses it", repr(e))
        return
    check(True, f"{tag}: prometheus_client parses it ({len(samples)} samples)")
    if doc is None:
        return
    check(samples.get(("xfrm_dst_acct_up", frozenset())) == 1,
          f"{tag}: xfrm_dst_acct_up 1")
    bad = []
    for ns in doc["namespaces"]:
        netns = ns["name"] or f"net:[{ns['inode']}]"
        info_key = ("xfrm_dst_acct_netns_info", frozenset({
            "netns": netns, "inode": str(ns["inode"]),
            "pid": "" if ns["pid"] is None else str(ns["pid"]),
            "comm": ns["comm"] or ""}.items()))
        if samples.get(info_key) != 1:
            bad.append(f"no netns_info for {netns}")
        for f in ns["families"]:
            labels = frozenset({"netns": netns, "family": f["family"],
                                "state": f["state"]}.items())
            for name, value in (
                    ("xfrm_dst_acct_dst_entries", f["count"]),
                    ("xfrm_dst_acct_exact_dst_entries", f["count_exact"]),
                    ("xfrm_dst_acct_gc_thresh_entries", f["gc_thresh"]),
                    ("xfrm_dst_acct_limit_entries", f["limit"]),
                    ("xfrm_dst_acct_limit_used_ratio", f["used"]),
                    ("xfrm_dst_acct_above_warn", 1 if f["warn"] else 0)):
                got = samples.get((name, labels))
                if got is None or not math.isclose(got, value, abs_tol=1e-6):
                    bad.append(f"{name}{{{netns},{f['family']}}} {got} != {value}")
            got = samples.get(("xfrm_dst_acct_attach_value_entries", labels))
            want = f["attach_value"] if f["state"] == "own" else None
            if got != want:
                bad.append(f"attach_value {netns}/{f['family']} {got} != {want}")
    check(not bad, f"{tag}: every sample equals the JSON document",
          "; ".join(bad))


def check_doctor(tag, block, variant, mode, loaded, low):
    out, err, rc = block
    text = "\n".join(out)
    table = [ln.split() for ln in out if re.match(r"^  \S+ +ipv[46] ", ln)]
    check(len(table) == 10, f"{tag}: gc_thresh of 5 namespaces x 2 families",
          str(len(table)))
    if not loaded:
        check(rc == 0 and "xfrm_dst_acct not loaded" in text and
              "Linux 6.1 has the upstream fix" in text and
              "could not tell that without the module" in text and
              "nothing to change." in text,
              f"{tag}: by version, says what it could not tell, rc 0",
              f"rc={rc}")
        return
    if variant == "stock":
        check("affected:   no" in text, f"{tag}: affected no")
        want_rc = 0
    else:
        check("affected:   yes" in text and "was changed" in text,
              f"{tag}: affected yes, against its version")
        if mode == "off":
            check("NOT repaired" in text and
                  "rmmod xfrm_dst_acct && modprobe xfrm_dst_acct mode=auto"
                  in text, f"{tag}: not repaired with mode=off, says reload")
        else:
            check("repaired: every namespace" in text,
                  f"{tag}: repaired by the module")
        want_rc = 1 if (mode == "off" or low) else 0
    if low and variant == "affected":
        check("TOO LOW: below 16384" in text and
              "ip netns exec blue sysctl -w net.ipv4.xfrm4_gc_thresh="
              f"{INT_MAX}" in text,
              f"{tag}: blue's xfrm4_gc_thresh too low, says what to change")
        reload = ("rmmod xfrm_dst_acct && modprobe xfrm_dst_acct" +
                  (" mode=auto" if mode == "off" else "") +
                  " raise_gc_thresh=1")
        check(reload in text, f"{tag}: suggests {reload}")
    elif low:
        check("below 16384 (no effect on this kernel)" in text,
              f"{tag}: low gc_thresh has no effect without a flow cache")
    check(rc == want_rc, f"{tag}: exit status {want_rc}", f"rc={rc}")


def comparable_json(block):
    """A JSON block without the process count of the namespace the tool
    itself runs in (its own processes are counted there)."""
    out, err, rc = block
    try:
        doc = json.loads("\n".join(out))
    except ValueError:
        return block
    for ns in doc["namespaces"]:
        if ns["pid"] == 1:
            ns["processes"] = None
    return (doc, err, rc)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    log, variant, mode = sys.argv[1:]
    blocks, raws, info = parse_log(log)
    state = EXPECTED_STATE[(variant, mode)]
    affected = EXPECTED_AFFECTED[variant]

    def block(name):
        b = blocks.get(name)
        check(b is not None, f"{name}: output found in the log")
        return b or ([], [], -1)

    check(len(raws) == 2, "two raw dumps of /proc/net/xfrm_dst_acct")
    while len(raws) < 2:
        raws.append({})

    # Before the module is loaded.
    out, err, rc = block("status-unloaded")
    check(rc == 2 and any("is not loaded" in e for e in err),
          "status-unloaded: exit 2, says the module is not loaded",
          f"rc={rc} {err}")
    out, err, rc = block("prometheus-unloaded")
    check_prometheus("prometheus-unloaded", out, None, info, False)
    check(rc == 2 and "xfrm_dst_acct_up 0" in out,
          "prometheus-unloaded: exit 2, xfrm_dst_acct_up 0", f"rc={rc}")
    check_doctor("doctor-unloaded", block("doctor-unloaded"), variant, mode,
                 False, False)

    # Loaded: healthy, then blue's xfrm4_gc_thresh lowered to 1.
    for prefix, raw, low in (("", raws[0], False), ("low-", raws[1], True)):
        out, err, rc = block(prefix + "json")
        doc = check_json(prefix + "json", out, raw, info, state, affected, low)
        check(rc == (1 if low else 0), f"{prefix}json: exit status "
              f"{1 if low else 0}", f"rc={rc} {err}")
        out, err, rc = block(prefix + "table")
        check_table(prefix + "table", out, doc, info, low)
        check(rc == (1 if low else 0) and not err,
              f"{prefix}table: exit status {1 if low else 0}, no stderr",
              f"rc={rc} {err}")
        out, err, rc = block(prefix + "prometheus")
        check_prometheus(prefix + "prometheus", out, doc, info, low)
        check(rc == (1 if low else 0), f"{prefix}prometheus: exit status "
              f"{1 if low else 0}", f"rc={rc}")
        check_doctor(prefix + "doctor", block(prefix + "doctor"), variant,
                     mode, True, low)
        names = ["table", "json", "doctor"] + ([] if low else ["prometheus"])
        for name in names:
            a, b = block(prefix + name), block(prefix + name + "-gnu")
            if name == "json":
                a, b = comparable_json(a), comparable_json(b)
            check(a == b, f"{prefix}{name}: same under dash with Debian's "
                  "tools as under busybox", f"\n  busybox {a}\n  gnu     {b}")
    if raws[1].get("blue"):
        gc = {r[0]: r[3] for r in raws[1]["blue"]}
        check(gc.get("ipv4") == "1", "blue's xfrm4_gc_thresh is 1 in /proc",
              str(gc))
    out, err, rc = block("low-warn-high")
    check(rc == 0, "low-warn-high: --warn 1000 gives exit status 0", f"rc={rc}")
    out, err, rc = block("restored")
    check(rc == 0, "restored: gc_thresh back, exit status 0", f"rc={rc}")

    out, err, rc = block("usage-error")
    check(rc == 2 and err, "usage-error: --warn without a value, exit 2")
    out, err, rc = block("help")
    check(rc == 0 and out and out[0].startswith("Usage: "),
          "help: usage text, exit 0")

    # Unloaded again.
    for name in ("gone-table", "gone-table-gnu"):
        out, err, rc = block(name)
        check(rc == 2 and not out and
              any("is not loaded" in e for e in err),
              f"{name}: exit 2, says the module is not loaded", f"rc={rc}")
    out, err, rc = block("gone-json")
    try:
        doc = json.loads("\n".join(out))
        check(rc == 2 and doc["module"]["loaded"] is False and
              doc["status"] == "error" and doc["namespaces"] == [],
              "gone-json: valid, loaded false, status error, exit 2")
    except ValueError as e:
        check(False, "gone-json: valid JSON", str(e))
    out, err, rc = block("gone-prometheus")
    check_prometheus("gone-prometheus", out, None, info, False)
    check(rc == 2 and "xfrm_dst_acct_up 0" in out,
          "gone-prometheus: exit 2, xfrm_dst_acct_up 0")

    print(f"checks: passed={passed} failed={failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
