#!/usr/bin/env python3
"""The overhead benchmark: one workload run four ways, interleaved (A B C D, B C D A, ...):
with no tracer, under `oomtrace watch`, under bench/pagecache.bt (bpftrace), and with an empty
program on each of oomtrace's tracepoints (bench/hooks: the floor, what the hook hits alone
cost). It prints a table and JSON. Numbers, not pass/fail: nothing here decides a test by time.

  bench/run.py [--rounds N] [--workloads read,write,shm,anon] [--smoke] [--json OUT] [--build DIR]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = os.sysconf("SC_PAGE_SIZE")


def memory_cgroup_of_self():
    """(version, directory) of this process's memory cgroup, as oomtrace finds it."""
    mounts = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            dash = fields.index("-")
            fstype, options = fields[dash + 1], fields[dash + 3].split(",")
            if fstype == "cgroup" and "memory" in options:
                mounts[1] = fields[4]
            elif fstype == "cgroup2" and 2 not in mounts:
                controllers = os.path.join(fields[4], "cgroup.controllers")
                if os.path.exists(controllers) and "memory" in open(controllers).read().split():
                    mounts[2] = fields[4]
    with open("/proc/self/cgroup") as f:
        for line in f:
            number, controllers, path = line.rstrip("\n").split(":", 2)
            if 1 in mounts and "memory" in controllers.split(","):
                return 1, mounts[1] + path
            if 1 not in mounts and 2 in mounts and number == "0":
                return 2, mounts[2] + path
    sys.exit("bench: no memory cgroup controller")


class Cgroup:
    def __init__(self, name):
        self.version, parent = memory_cgroup_of_self()
        self.path = os.path.join(parent, name)
        os.makedirs(self.path, exist_ok=True)

    def command(self, argv):
        return ["sh", "-c", f'echo $$ > {self.path}/cgroup.procs && exec "$@"', "sh"] + argv

    def remove(self):
        for _ in range(100):
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.05)


def set_bpf_stats(value):
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write(value)


def cpu_seconds(pid):
    """CPU time of all the process's threads, in ns from schedstat (/proc/PID/stat counts ticks)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total / 1e9


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def bpftool(*args):
    out = subprocess.run(["bpftool", "-j", *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out) if out.strip() else []


def owned_ids(pid, field):
    """Ids of the BPF programs ("prog_id") or maps ("map_id") that a process holds, from its fdinfo."""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def prog_stats(pid):
    ids = owned_ids(pid, "prog_id")
    return {p["id"]: (p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))
            for p in bpftool("prog", "show") if p["id"] in ids}


def attached_tracepoints(pid):
    """The tracepoints a process's programs are attached to."""
    ids = owned_ids(pid, "prog_id")
    return sorted({link["tp_name"] for link in bpftool("link", "show")
                   if link.get("prog_id") in ids and "tp_name" in link})


def map_memory(pid):
    ids = owned_ids(pid, "map_id")
    return sum(m.get("bytes_memlock", 0) for m in bpftool("map", "show") if m["id"] in ids)


def oomtrace_lost_events(log):
    """`oomtrace watch` says on exit what it lost."""
    match = re.search(r"(\d+) events lost", log)
    return int(match.group(1)) if match else 0


def bpftrace_lost_events(log):
    match = re.search(r"Lost (\d+) events", log)
    return int(match.group(1)) if match else 0


def no_lost_events(log):
    """bench/hooks sends nothing to user space."""
    return 0


class Tracer:
    """A tracer process and the cost it adds, measured around the workloads."""

    def __init__(self, name, argv, ready, scratch):
        self.name = name
        self.err = open(os.path.join(scratch, f"{name}.log"), "w+")
        self.proc = subprocess.Popen(argv, stdout=self.err, stderr=self.err, text=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            self.err.seek(0)
            if ready in self.err.read():
                break
            if self.proc.poll() is not None:
                self.err.seek(0)
                sys.exit(f"bench: {name} exited: {self.err.read()}")
            time.sleep(0.05)
        else:
            sys.exit(f"bench: {name} did not start")
        time.sleep(0.2)
        self.cpu0 = cpu_seconds(self.proc.pid)
        self.progs0 = {}

    def start_program_stats(self):
        self.progs0 = prog_stats(self.proc.pid)

    def program_stats(self):
        """Runs and mean ns per run of each program since start_program_stats()."""
        result = {}
        for prog_id, (name, ns, count) in prog_stats(self.proc.pid).items():
            ns0, count0 = self.progs0.get(prog_id, (name, 0, 0))[1:]
            runs = count - count0
            result[name] = {"runs": runs, "mean_ns": (ns - ns0) / runs if runs else 0.0}
        return result

    def finish(self, lost):
        pid = self.proc.pid
        result = {
            "tracer_cpu_s": cpu_seconds(pid) - self.cpu0,
            "rss_bytes": rss_bytes(pid),
            "map_bytes": map_memory(pid),
        }
        self.proc.send_signal(2)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.err.seek(0)
        result["lost_events"] = lost(self.err.read())
        return result


def run_workload(cgroup, driver, workload, scratch, files, mib):
    # Dirty pages left by an earlier run would be written back during this one.
    os.sync()
    directory = os.path.join("/dev/shm" if workload == "shm" else scratch, f"data-{workload}")
    os.makedirs(directory, exist_ok=True)
    out = subprocess.run(cgroup.command([driver, workload, directory, str(files), str(mib)]),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def time_to_report(oomtrace, workload, scratch, runs):
    """From the kill (mark_victim's kernel timestamp) to the report's rename, as oomtrace logs it."""
    latencies = []
    for i in range(runs):
        done = subprocess.run([oomtrace, "-v", "run", "--memory", "32M", "--report-dir",
                               os.path.join(scratch, f"ttr{i}"), "--", workload, "leak"],
                              capture_output=True, text=True)
        match = re.search(r"report written (\d+) ms after the kill", done.stderr)
        if match:
            latencies.append(int(match.group(1)))
    return latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="one small round: checks that it runs")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    parser.add_argument("--workloads", default="read,write,shm,anon",
                        help="comma-separated subset of read,write,shm,anon")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench: skipped: needs root (BPF, cgroups, kernel.bpf_stats_enabled)", file=sys.stderr)
        sys.exit(1 if os.environ.get("CI") == "true" else 77)
    build = os.path.abspath(args.build)
    oomtrace, driver = os.path.join(build, "oomtrace"), os.path.join(build, "bench", "driver")
    hooks = os.path.join(build, "bench", "hooks")
    workload_bin = os.path.join(build, "tests", "workload")
    rounds = 1 if args.smoke else args.rounds
    sizes = {"read": (4, 4), "write": (4, 4), "shm": (4, 4), "anon": (4, 4)} if args.smoke else \
            {"read": (16, 16), "write": (16, 8), "shm": (128, 8), "anon": (128, 8)}
    wanted = args.workloads.split(",")
    if not set(wanted) <= set(sizes):
        sys.exit(f"bench: unknown workload in --workloads {args.workloads}: use read, write, shm or anon")
    sizes = {w: sizes[w] for w in wanted}

    scratch = tempfile.mkdtemp(prefix="oomtrace-bench-")
    cgroup = Cgroup(f"oomtrace-bench-{os.getpid()}")
    stats_before = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    configs = {
        "none": None,
        "oomtrace": ([oomtrace, "watch", "--cgroup", cgroup.path, "--report-dir",
                      os.path.join(scratch, "reports")], "watch: tracing", oomtrace_lost_events),
        "bpftrace": (["bpftrace", os.path.join(HERE, "pagecache.bt")], "Attaching", bpftrace_lost_events),
    }
    if shutil.which("bpftrace") is None:
        del configs["bpftrace"]
    try:
        # The floor hooks what oomtrace hooks on this kernel, asked of a running `oomtrace watch`.
        probe = Tracer("oomtrace", *configs["oomtrace"][:2], scratch)
        tracepoints = attached_tracepoints(probe.proc.pid)
        probe.finish(oomtrace_lost_events)
        if not tracepoints:
            sys.exit("bench: `bpftool link show` lists no tracepoint for oomtrace watch: is bpftool 7 or later installed?")
        configs["hooks"] = ([hooks, *tracepoints], "hooks: attached", no_lost_events)
        samples = {c: {w: [] for w in sizes} for c in configs}
        costs = {c: [] for c in configs}
        programs = {c: {} for c in configs}
        # Throughput with bpf_stats off: it adds two clock reads to every program run, which
        # would charge a tracer with more hooks more than its own cost.
        set_bpf_stats("0")
        for round_index in range(rounds):
            # Each round starts one configuration later, so that none of them always runs
            # first (after the driver's files were made, or right after a tracer stopped).
            order = list(configs.items())
            order = order[round_index % len(order):] + order[:round_index % len(order)]
            for config, spec in order:
                tracer = Tracer(config, spec[0], spec[1], scratch) if spec else None
                for workload, (files, mib) in sizes.items():
                    samples[config][workload].append(run_workload(cgroup, driver, workload, scratch, files, mib))
                if tracer:
                    costs[config].append(tracer.finish(spec[2]))
            print(f"bench: round {round_index + 1}/{rounds} done", file=sys.stderr)
        # The cost per program run, in a pass of its own with bpf_stats on.
        for config, spec in configs.items():
            if not spec:
                continue
            tracer = Tracer(config, spec[0], spec[1], scratch)
            set_bpf_stats("1")
            tracer.start_program_stats()
            for workload, (files, mib) in sizes.items():
                run_workload(cgroup, driver, workload, scratch, files, mib)
            programs[config] = tracer.program_stats()
            set_bpf_stats("0")
            tracer.finish(spec[2])
        print("bench: program cost pass done", file=sys.stderr)
        latencies = time_to_report(oomtrace, workload_bin, scratch, 1 if args.smoke else 5)
    finally:
        set_bpf_stats(stats_before)
        cgroup.remove()
        shutil.rmtree(scratch, ignore_errors=True)
        for workload in sizes:
            shutil.rmtree(os.path.join("/dev/shm", f"data-{workload}"), ignore_errors=True)

    results = {"machine": {"kernel": os.uname().release, "cpus": os.cpu_count(), "cgroup_version": cgroup.version},
               "rounds": rounds, "workloads": {}, "tracers": {}, "time_to_report_ms": latencies}
    for workload in sizes:
        row = {}
        for config in configs:
            mbps = [s["bytes"] / s["seconds"] / 1e6 for s in samples[config][workload]]
            opss = [s["ops"] / s["seconds"] for s in samples[config][workload]]
            row[config] = {"mb_s": {"median": statistics.median(mbps), "min": min(mbps), "max": max(mbps)},
                           "ops_s": {"median": statistics.median(opss), "min": min(opss), "max": max(opss)}}
        none = [s["bytes"] / s["seconds"] for s in samples["none"][workload]]
        for config in configs:
            row[config]["ratio_to_none"] = row[config]["mb_s"]["median"] / row["none"]["mb_s"]["median"]
            # Each round runs the configurations back to back: the median of the per-round
            # ratios cancels the drift between rounds (disk, host) that the medians keep.
            mine = [s["bytes"] / s["seconds"] for s in samples[config][workload]]
            row[config]["paired_ratio_to_none"] = statistics.median(m / n for m, n in zip(mine, none))
        results["workloads"][workload] = row
    for config, rounds_costs in costs.items():
        if not rounds_costs:
            continue
        results["tracers"][config] = {
            "tracer_cpu_s": statistics.median(c["tracer_cpu_s"] for c in rounds_costs),
            "rss_bytes": max(c["rss_bytes"] for c in rounds_costs),
            "map_bytes": max(c["map_bytes"] for c in rounds_costs),
            "lost_events": sum(c["lost_events"] for c in rounds_costs),
            "programs": dict(sorted(programs[config].items())),
        }

    print(f"\noomtrace overhead benchmark: {results['machine']}, {rounds} round(s), interleaved")
    print(f"{'workload':<8} {'tracer':<9} {'MB/s median':>12} {'min':>9} {'max':>9} {'ops/s':>10} {'vs none':>8} "
          f"{'paired':>8}")
    for workload, row in results["workloads"].items():
        for config, r in row.items():
            print(f"{workload:<8} {config:<9} {r['mb_s']['median']:>12.1f} {r['mb_s']['min']:>9.1f} "
                  f"{r['mb_s']['max']:>9.1f} {r['ops_s']['median']:>10.0f} {r['ratio_to_none']:>7.1%} "
                  f"{r['paired_ratio_to_none']:>7.1%}")
    print("(vs none: ratio of the medians; paired: median over rounds of the ratio within the round)")
    print(f"\n{'tracer':<9} {'cpu ms/round':>12} {'rss':>10} {'maps':>10} {'lost':>6}  mean ns per BPF run (runs), "
          "in a pass of its own with bpf_stats on")
    for config, t in results["tracers"].items():
        progs = ", ".join(f"{n} {p['mean_ns']:.0f} ({p['runs']})" for n, p in t["programs"].items() if p["runs"])
        print(f"{config:<9} {t['tracer_cpu_s'] * 1e3:>12.2f} {t['rss_bytes'] / 2**20:>8.1f}Mi {t['map_bytes'] / 2**20:>8.1f}Mi "
              f"{t['lost_events']:>6}  {progs}")
    if latencies:
        print(f"\ntime to report (kill to rename): median {statistics.median(latencies)} ms, max {max(latencies)} ms "
              f"over {len(latencies)} kills")
    print("\n" + json.dumps(results))
    missing = [(w, c) for w in sizes for c in configs if not samples[c][w]]
    if missing or not latencies:
        sys.exit(f"bench: incomplete: no samples for {missing} or no time-to-report measurement")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
