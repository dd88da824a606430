#!/usr/bin/env python3
"""Critical path of a `terraform apply`: how long it took against how long it had to take.

usage: critical_path.py APPLY_JSON_LOG STATE_JSON DEPLOY_DELAY_SECONDS [WALL_SECONDS]

APPLY_JSON_LOG is `terraform apply -json` output (one JSON message a line); STATE_JSON is
`terraform show -json` after it. Each resource's measured duration is its `apply_complete`
minus its `apply_start` timestamp. A resource's dependencies are the `depends_on` that
Terraform records in state (what the configuration's references make it wait for).

Printed:
- wall: WALL_SECONDS if given (the whole command), else first start to last completion;
- nominal critical path: the longest dependency chain's sum of emulator delays, where a
  component the console deploys (blockchain_ca, blockchain_peer) costs DEPLOY_DELAY and
  everything else nothing;
- measured critical path: the longest chain's sum of measured durations (the chain named);
- ratio wall / nominal (the bench's goal is at most 1.15).
"""
import json
import sys
from datetime import datetime

DEPLOYED = ("blockchain_ca", "blockchain_peer")


def parse_time(text):
    # "2026-12-04T01:02:03.123456+00:00" (Terraform's @timestamp)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def durations(log_path):
    start, end = {}, {}
    for line in open(log_path, encoding="utf-8"):
        line = line.strip()
        if not line.startswith("{"):
            continue
        msg = json.loads(line)
        kind = msg.get("type")
        if kind not in ("apply_start", "apply_complete"):
            continue
        hook = msg.get("hook", {})
        if hook.get("action") not in ("create", "update", "replace"):
            continue
        addr = hook.get("resource", {}).get("addr")
        when = parse_time(msg["@timestamp"])
        (start if kind == "apply_start" else end)[addr] = when
    return {a: (start[a], end[a]) for a in start if a in end}


def resources(state):
    out = {}

    def walk(module):
        for r in module.get("resources", []):
            if r.get("mode") == "managed":
                out[r["address"]] = r.get("depends_on", [])
        for child in module.get("child_modules", []):
            walk(child)

    walk(state.get("values", {}).get("root_module", {}))
    return out


def base(addr):
    # "module.r1.blockchain_peer.this[0]" -> "module.r1.blockchain_peer.this"
    return addr.split("[", 1)[0]


def longest(deps, cost):
    memo = {}

    def best(a, seen=()):
        if a in memo:
            return memo[a]
        total, chain = 0.0, []
        for d in deps.get(a, []):
            for candidate in [x for x in deps if base(x) == base(d) or x == d]:
                if candidate in seen:
                    continue
                t, c = best(candidate, seen + (a,))
                if t > total:
                    total, chain = t, c
        memo[a] = (total + cost(a), chain + [a])
        return memo[a]

    results = [best(a) for a in deps]
    return max(results, default=(0.0, []))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    times = durations(sys.argv[1])
    state = json.load(open(sys.argv[2], encoding="utf-8"))
    delay = float(sys.argv[3])
    deps = resources(state)
    if not times:
        sys.exit("no apply_start/apply_complete messages in the log")
    wall = float(sys.argv[4]) if len(sys.argv) > 4 else (
        max(e for _, e in times.values()) - min(s for s, _ in times.values()))

    def deployed(a):
        return any(f".{t}." in f".{a}" for t in DEPLOYED)

    nominal, nominal_chain = longest(deps, lambda a: delay if deployed(a) else 0.0)
    measured, measured_chain = longest(
        deps, lambda a: (times[a][1] - times[a][0]) if a in times else 0.0)
    print(f"resources applied:        {len(times)}")
    print(f"wall time:                {wall:.1f} s")
    print(f"nominal critical path:    {nominal:.1f} s  ({sum(map(deployed, nominal_chain))} deploys of {delay:g} s)")
    print(f"measured critical path:   {measured:.1f} s")
    print("  " + " -> ".join(measured_chain))
    if nominal > 0:
        print(f"ratio wall / nominal:     {wall / nominal:.3f}  (goal <= 1.15)")


if __name__ == "__main__":
    main()
