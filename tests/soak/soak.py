#!/usr/bin/env python3
"""Fault-injection soak of `synergai serve` (docs/operations.md, "Soak").

Runs the real service program against a journal of its own, with concurrent
clients submitting jobs, while it injects kill -9 (under load, during start-up
and replay, during journal compaction), torn journal tails, a full disk (a
small tmpfs, as root), descriptor exhaustion (prlimit --nofile) and, with the
Kubernetes executor, API-server faults from synergai-fake-apiserver (503s,
dropped watches, 410 on watch resume, failing Jobs). Then it drains and
reconciles: every job answered 201 exists once, reached one terminal state and
stayed there, none is stuck, and every Kubernetes Job belongs to exactly one
accepted job. Prints one table; exits 1 when a check fails, 2 on bad usage.

Python 3 standard library only. The same --seed repeats the same plan (kill
instants, kinds, injected faults, job bodies); thread timing still varies.
"""

import argparse
import base64
import ctypes
import ctypes.util
import errno
import http.client
import json
import os
import random
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

TERMINAL = {"succeeded", "failed", "cancelled"}
REPO = Path(__file__).resolve().parents[2]
START = time.monotonic()


def say(text):
    print(f"[{time.monotonic() - START:7.1f}s] {text}", flush=True)


def http_call(port, method, path, body=None, timeout=5.0):
    """(status, parsed JSON or text); raises OSError / HTTPException."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, data.decode(errors="replace")
    finally:
        conn.close()


def percentile(values, q):
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


class CreationWatch:
    """Wakes when a file is created in a folder (inotify through libc), so that a
    kill can land inside a compaction: between the creation of its temporary
    file and the rename. None where inotify is not available."""

    IN_CREATE = 0x100

    @classmethod
    def open(cls, folder):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd < 0:
                return None
            if libc.inotify_add_watch(fd, str(folder).encode(), cls.IN_CREATE) < 0:
                os.close(fd)
                return None
        except (OSError, AttributeError):
            return None
        w = cls()
        w.fd = fd
        return w

    def wait_for(self, name, limit):
        """True as soon as `name` is created, False after `limit` seconds."""
        try:
            while os.read(self.fd, 65536):  # events from before: not this compaction
                pass
        except BlockingIOError:
            pass
        end = time.monotonic() + limit
        while (left := end - time.monotonic()) > 0:
            if not select.select([self.fd], [], [], left)[0]:
                return False
            data = os.read(self.fd, 65536)
            at = 0
            while at + 16 <= len(data):
                _, _, _, length = struct.unpack_from("iIII", data, at)
                created = data[at + 16: at + 16 + length].rstrip(b"\0").decode(errors="replace")
                at += 16 + length
                if created == name:
                    return True
        return False

    def close(self):
        os.close(self.fd)


# --- the service process ------------------------------------------------------


class Serve:
    """The real `synergai serve`, restarted on the same port and journal.

    The first start listens on port 0 and writes the port the kernel gave it to
    a --port-file (a port picked by binding and closing a socket first could be
    taken by another process before the service binds it); every restart binds
    that port again, as a restarted service would, so clients keep their address.
    """

    def __init__(self, args, phase_dir, config, journal, executor):
        self.args = args
        self.config = config
        self.port = 0  # known once the first start listens
        self.port_file = phase_dir / "serve.port.json"
        self.journal = journal
        self.executor = executor
        self.log_path = phase_dir / "serve.log"
        self.proc = None
        self.spawned_at = 0.0
        self.starts = 0

    def spawn(self, nofile=None):
        cmd = [self.args.synergai, "serve", "--config", str(self.config), "--listen", f"127.0.0.1:{self.port}",
               "--journal", str(self.journal), "--executor", self.executor]
        if self.port == 0:
            self.port_file.unlink(missing_ok=True)
            cmd += ["--port-file", str(self.port_file)]
        if nofile:
            cmd = ["prlimit", f"--nofile={nofile}:{nofile}", "--"] + cmd
        log = open(self.log_path, "ab")
        self.spawned_at = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.starts += 1

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, limit):
        """Seconds from spawn to /readyz 200; raises if it exits or takes too long."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if not self.alive():
                raise SoakError(f"serve exited with {self.proc.returncode} during start-up; log:\n{self.log_tail()}")
            if self.port == 0:
                try:  # written whole (renamed into place) once it listens
                    self.port = json.loads(self.port_file.read_text())["port"]
                except FileNotFoundError:
                    time.sleep(0.01)
                    continue
            try:
                status, _ = http_call(self.port, "GET", "/readyz", timeout=1.0)
                if status == 200:
                    return time.monotonic() - self.spawned_at
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.01)
        raise SoakError(f"serve not ready within {limit} s; log:\n{self.log_tail()}")

    def kill9(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def terminate(self, limit=20):
        if not self.alive():
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None

    def log_lines(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def log_tail(self, n=15):
        return "\n".join(self.log_lines()[-n:])


class SoakError(Exception):
    pass


# --- what the clients and the observer learn ------------------------------------


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = set()     # answered 201
        self.refused = set()      # answered 503 at the first and only attempt: never written
        self.ambiguous = set()    # sent, then the connection failed, and no definite answer later
        self.submitted = set()    # every id a client made
        self.unexpected = []      # (id, status, body): answers the soak does not expect
        self.retried = 0          # submissions repeated after an ambiguous failure
        self.accepted_at = []     # instants of 201s (for the disk-full check)
        self.refused_at = []
        # Observations: id -> first terminal state seen, and regressions.
        self.terminal_seen = {}
        self.reruns = []          # (id, terminal state seen, later non-terminal state)
        self.flips = []           # (id, first terminal state, later other terminal state)
        self.seen = set()
        self.vanished = set()     # seen in one complete list, missing from a later one
        self.observations = 0
        self.pending = None       # jobs not terminal in the latest complete list

    def observe(self, jobs, when):
        """`when`: 'periodic', 'before kill N', 'final' (said with a regression)."""
        with self.lock:
            self.observations += 1
            present = set()
            for j in jobs:
                jid, state = j["id"], j["state"]
                present.add(jid)
                first = self.terminal_seen.get(jid)
                if first is not None and state not in TERMINAL:
                    self.reruns.append((jid, f"{first[0]} ({first[1]})", f"then {state} ({when})"))
                    del self.terminal_seen[jid]  # counted once per regression
                elif first is not None and state != first[0]:
                    self.flips.append((jid, f"{first[0]} ({first[1]})", f"then {state} ({when})"))
                elif first is None and state in TERMINAL:
                    self.terminal_seen[jid] = (state, when)
            self.vanished |= self.seen - present
            self.seen |= present
            self.pending = sum(j["state"] not in TERMINAL for j in jobs)


def list_all(port, page=1000, timeout=10.0):
    """Every job, following next_offset; raises on any failure."""
    out, offset = [], 0
    while True:
        status, body = http_call(port, "GET", f"/v1/jobs?limit={page}&offset={offset}", timeout=timeout)
        if status != 200:
            raise SoakError(f"GET /v1/jobs answered {status}: {body}")
        out.extend(body["jobs"])
        if body.get("next_offset") is None:
            return out
        offset = body["next_offset"]


class Phase:
    """One executor's soak: the service, its clients, the faults, the checks."""

    def __init__(self, args, executor, kills, root):
        self.args = args
        self.executor = executor
        self.kills_target = kills
        # Submissions at a pace the executor can drain (the fake API server runs each Job 100 ms).
        self.client_pause_s = args.client_pause_kube_s if executor == "kubernetes" else args.client_pause_sim_s
        self.load_s = args.load_kube_s if executor == "kubernetes" else args.load_s  # run time before a kill
        self.rng = random.Random(f"{args.seed}/{executor}")
        self.dir = Path(tempfile.mkdtemp(prefix=f"soak-{executor}-", dir=root))
        self.journal_dir = self.dir / "journal"
        self.journal_dir.mkdir()
        self.tmpfs = False
        self.ledger = Ledger()
        # The periodic observer and a kill both list the jobs. A list is several pages, so two lists
        # fetched at once could reach the ledger in the other order, and the older one would read
        # as a job going back in time: one list at a time, observed before the next begins.
        self.listing = threading.Lock()
        self.stop_clients = threading.Event()
        self.stop_observer = threading.Event()
        self.kills = 0
        self.kill_kinds = {"load": 0, "startup": 0, "compaction": 0, "disk-full": 0, "descriptors": 0}
        self.compaction_hits = 0   # kills after which a half-written .compact file was left
        self.compact_signature = None
        self.torn_tails = 0
        self.torn_bytes = 0
        self.restart_s = []
        self.notes = []            # findings beyond the table's columns (each fails the run)
        self.info = []             # figures worth printing
        self.fake = None
        self.fake_url = None
        self.ca_pem = None
        self.token = None
        self.namespace = "soak"
        self.engines = []
        self.serve = None
        self.serve_exit = None
        self.kube_per_id = {}
        self.row = None

    # -- set-up ----------------------------------------------------------------

    def mount_tmpfs(self):
        if os.geteuid() != 0:
            say("full disk: skipped (not root: cannot mount a small tmpfs for the journal)")
            return
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.args.tmpfs_mib}m", "soak-journal",
                            str(self.journal_dir)], capture_output=True, text=True)
        if r.returncode != 0:
            say(f"full disk: skipped (mount tmpfs failed: {r.stderr.strip()})")
            return
        self.tmpfs = True

    def start_fake_apiserver(self, testbed):
        kubeconfig = self.dir / "kubeconfig.yaml"
        gone_as_http = self.rng.random() < 0.5
        cmd = [self.args.fake_apiserver, "--port", "0", "--write-kubeconfig", str(kubeconfig), "--testbed",
               str(testbed), "--namespace", self.namespace, "--job-duration-ms", str(self.args.kube_job_ms),
               "--job-failure-rate", str(self.args.job_failure_rate), "--error-rate", str(self.args.api_error_rate),
               "--watch-drop-rate", str(self.args.watch_drop_rate), "--watch-gone-rate",
               str(self.args.watch_gone_rate), "--node-agent-ms", "20", "--seed", str(self.args.seed),
               "--request-log", str(self.dir / "apiserver-requests.jsonl")]
        if gone_as_http:
            cmd.append("--watch-gone-as-http")
        self.fake_log = open(self.dir / "apiserver.log", "w+b")
        self.fake = subprocess.Popen(cmd, stdout=self.fake_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.fake_log.seek(0)
            text = self.fake_log.read().decode(errors="replace")
            if "serving https://" in text:
                self.fake_url = text.split("serving ", 1)[1].split()[0]
                break
            if self.fake.poll() is not None:
                raise SoakError(f"synergai-fake-apiserver exited with {self.fake.returncode}:\n{text}")
            time.sleep(0.05)
        else:
            raise SoakError("synergai-fake-apiserver did not start within 20 s")
        # The kubeconfig it wrote: its CA and token (for our own list of Jobs).
        for line in kubeconfig.read_text().splitlines():
            line = line.strip()
            if line.startswith("certificate-authority-data:"):
                self.ca_pem = base64.b64decode(line.split(":", 1)[1].strip()).decode()
            elif line.startswith("token:"):
                self.token = line.split(":", 1)[1].strip().strip('"')
        if not self.ca_pem or not self.token:
            raise SoakError(f"{kubeconfig}: no certificate-authority-data or token")
        self.info.append(f"API faults: 503 on every endpoint {self.args.api_error_rate:.0%} (Retry-After 1 s), "
                         f"watch events dropped {self.args.watch_drop_rate:.0%}, watch resume 410 "
                         f"{self.args.watch_gone_rate:.0%} ({'HTTP Gone' if gone_as_http else 'ERROR event'}), "
                         f"Jobs failing {self.args.job_failure_rate:.0%}, Jobs run {self.args.kube_job_ms} ms")
        return kubeconfig

    def write_config(self, kubeconfig):
        testbed = REPO / "config/testbeds/thesis.yaml"
        dictionary = REPO / "config/dictionaries/thesis.json"
        self.engines = sorted({o["engine"] for o in json.loads(dictionary.read_text())["optimal"]})
        kube = (f"  kubernetes: {{kubeconfig: {kubeconfig}, namespace: {self.namespace}, job_ttl_s: 86400, "
                f"api_qps: 200, api_burst: 200}}\n" if kubeconfig else "")
        text = (f"service: soak-{self.executor}\nlisten: 127.0.0.1:0\npolicy: synergai\ntick_s: 0.05\n"
                f"reservation_ttl_s: 5\ntestbed: {testbed}\ndictionary: {dictionary}\n"
                f"executor:\n  kind: {self.executor}\n"
                f"  simulated: {{speedup: {self.args.speedup}, noise_sigma: 0.05, seed: {self.args.seed}}}\n{kube}"
                f"journal:\n  path: {self.journal_dir / 'journal.jsonl'}\n  compact_bytes: {self.args.compact_bytes}\n"
                # Every accepted job must still be listed at the end: none is forgotten by the retention
                # (whose default keeps 10,000 finished jobs, fewer than a long soak accepts).
                f"retention: {{max_finished_jobs: {self.args.retention_jobs}}}\n")
        path = self.dir / "service.yaml"
        path.write_text(text)
        return path

    # -- clients and observer ------------------------------------------------------

    def submit(self, port, jid, body):
        """One submission to a definite answer, or 'ambiguous'."""
        sent = False
        deadline = time.monotonic() + self.args.ambiguous_retry_s
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            status = None
            try:
                try:
                    conn.connect()
                except OSError:
                    if not sent:
                        return "unsent", None
                else:
                    try:
                        conn.request("POST", "/v1/jobs", body=body, headers={"Content-Type": "application/json"})
                        resp = conn.getresponse()
                        status, data = resp.status, resp.read()
                    except (OSError, http.client.HTTPException):
                        sent = True  # the request may have reached the service: only a definite answer settles it
            finally:
                conn.close()
            if status == 201:
                return "accepted", None
            if status == 503 and not sent:
                return "refused", None
            if status is not None and status != 503:
                return "unexpected", (status, data.decode(errors="replace")[:200])
            if time.monotonic() > deadline:
                return "ambiguous", None
            with self.ledger.lock:
                self.ledger.retried += 1
            time.sleep(0.1)

    def client(self, index, port):
        rng = random.Random(f"{self.args.seed}/{self.executor}/client{index}")
        n = 0
        while not self.stop_clients.is_set():
            n += 1
            jid = f"s{self.args.seed}-{self.executor[:4]}-c{index}-{n}"
            body = json.dumps({"id": jid, "engine": rng.choice(self.engines),
                               "queries": rng.randint(self.args.queries_min, self.args.queries_max),
                               "qos_seconds": rng.choice([5, 30, 120, 600])})
            with self.ledger.lock:
                self.ledger.submitted.add(jid)
            outcome, detail = self.submit(port, jid, body)
            now = time.monotonic()
            with self.ledger.lock:
                if outcome == "accepted":
                    self.ledger.accepted.add(jid)
                    self.ledger.accepted_at.append(now)
                elif outcome == "refused":
                    self.ledger.refused.add(jid)
                    self.ledger.refused_at.append(now)
                elif outcome == "ambiguous":
                    self.ledger.ambiguous.add(jid)
                elif outcome == "unexpected":
                    self.ledger.unexpected.append((jid,) + detail)
                else:
                    self.ledger.submitted.discard(jid)  # never sent
            if outcome == "unsent":
                time.sleep(0.05)
            else:
                time.sleep(rng.uniform(0, 2 * self.client_pause_s))

    def observe_once(self, when="periodic"):
        with self.listing:
            try:
                jobs = list_all(self.serve.port, timeout=5.0)
            except (OSError, http.client.HTTPException, SoakError, ValueError, KeyError):
                return False  # the service is down or restarting: no complete list this time
            self.ledger.observe(jobs, when)
        return True

    def observer(self):
        while not self.stop_observer.wait(self.args.observe_s):
            self.observe_once()

    def progress(self):
        while not self.stop_observer.wait(self.args.progress_s):
            L = self.ledger
            with L.lock:
                line = (f"{self.executor}: kills {self.kills}/{self.kills_target}, accepted {len(L.accepted)}, "
                        f"refused {len(L.refused)}, ambiguous {len(L.ambiguous)}, terminal seen "
                        f"{len(L.terminal_seen)}, service {'up' if self.serve.alive() else 'down'}")
            say(line)

    # -- faults ----------------------------------------------------------------------

    def kill(self, kind, observe=True):
        if observe:
            self.observe_once(f"before kill {self.kills + 1}")  # what a client saw just before the crash
        self.serve.kill9()
        self.kills += 1
        self.kill_kinds[kind] += 1
        self.keep_journal()
        # A compaction's temporary file that is new since the last kill: this
        # kill landed between its creation and its rename.
        try:
            st = (self.journal_dir / "journal.jsonl.compact").stat()
            signature = (st.st_ino, st.st_mtime_ns, st.st_size)
            if signature != self.compact_signature:
                self.compaction_hits += 1
                self.compact_signature = signature
        except FileNotFoundError:
            pass

    def keep_journal(self):
        """The journal as this kill left it, which the next start replays: kept beside the logs
        (removed with them when the soak passes) so that a job found lost or run twice can be
        traced line by line."""
        journal = self.journal_dir / "journal.jsonl"
        if journal.exists():
            kept = self.dir / "journals"
            kept.mkdir(exist_ok=True)
            shutil.copyfile(journal, kept / f"after-kill-{self.kills}.jsonl")

    def tear_tail(self):
        """A crash mid-write: the beginning of a record, without its newline."""
        journal = self.journal_dir / "journal.jsonl"
        if not journal.exists():
            return
        fragment = ('{"job":{"spec":{"id":"torn-%d","engine":"tf-resnet50","queries":' % self.torn_tails)[
            : self.rng.randint(8, 60)]
        with open(journal, "ab") as f:
            f.write(fragment.encode())
        self.torn_tails += 1
        self.torn_bytes += len(fragment)

    def restart(self, nofile=None):
        self.serve.spawn(nofile)
        self.restart_s.append(self.serve.wait_ready(self.args.ready_limit_s))

    def kill_under_load(self):
        time.sleep(self.rng.uniform(*self.load_s))
        self.kill("load")

    def kill_during_startup(self):
        """Killed shortly after spawn: before, during or just after the journal replay."""
        self.kill("load")  # the running one goes first
        if self.rng.random() < self.args.torn_rate:
            self.tear_tail()
        self.serve.spawn()
        time.sleep(self.rng.uniform(0.0, 0.15))
        self.kill("startup", observe=False)

    def kill_during_compaction(self):
        """Waits for the compaction's temporary file and kills the moment it is created."""
        watch = CreationWatch.open(self.journal_dir)
        if watch is None:
            self.kill("load")
            return
        try:
            if watch.wait_for("journal.jsonl.compact", self.args.compaction_watch_s):
                self.kill("compaction", observe=False)  # at once: a list first would let it finish
                return
        finally:
            watch.close()
        self.kill("load")  # no compaction began in time: an ordinary kill

    def full_disk(self):
        """Fills the journal's tmpfs: submissions must get 503, then 201 again once space is freed."""
        filler = self.journal_dir / "filler"
        with self.ledger.lock:
            refused_before = len(self.ledger.refused)
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            for size in (1 << 20, 65536, 4096, 512, 1):  # down to the last byte
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
        finally:
            os.close(fd)
        filled_at = time.monotonic()
        failing_seen = False
        deadline = filled_at + 10
        while time.monotonic() < deadline:
            try:
                status, body = http_call(self.serve.port, "GET", "/readyz", timeout=2)
                if status == 503 and isinstance(body, dict) and body.get("status") == "journal failing":
                    failing_seen = True
                    break
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        time.sleep(self.args.full_hold_s)
        with self.ledger.lock:
            refused_while_full = len(self.ledger.refused) - refused_before
        freed_at = time.monotonic()
        filler.unlink()
        recovered = None
        deadline = freed_at + 15
        while time.monotonic() < deadline:
            with self.ledger.lock:
                accepted_after = any(t > freed_at for t in self.ledger.accepted_at)
            ready = False
            try:
                ready = http_call(self.serve.port, "GET", "/readyz", timeout=2)[0] == 200
            except (OSError, http.client.HTTPException):
                pass
            if ready and accepted_after:
                recovered = time.monotonic() - freed_at
                break
            time.sleep(0.02)
        self.info.append(f"full disk: /readyz 'journal failing' {'seen' if failing_seen else 'NOT seen'}, "
                         f"{refused_while_full} submissions answered 503 while full, "
                         + (f"201 again {recovered:.2f} s after space was freed" if recovered is not None
                            else "no 201 within 15 s after space was freed"))
        if not failing_seen:
            self.notes.append("full disk: /readyz never said 'journal failing' while the journal's disk was full")
        if refused_while_full == 0:
            self.notes.append("full disk: no submission was answered 503 while the journal's disk was full")
        if recovered is None:
            self.notes.append("full disk: the service did not accept again within 15 s after space was freed")
        self.kill("disk-full")

    def descriptor_exhaustion(self):
        """serve under prlimit --nofile with more idle connections held open than it has descriptors."""
        self.kill("load")
        nofile = self.args.nofile
        lines_before = len(self.serve.log_lines())
        self.restart(nofile)
        pid = self.serve.proc.pid
        try:
            fds_at_start = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            fds_at_start = -1
        idle = []
        for _ in range(self.args.idle_connections):
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", self.serve.port))
                idle.append(s)
            except OSError:
                s.close()
        probes, failed, slowest = 0, 0, 0.0
        end = time.monotonic() + self.args.idle_hold_s
        while time.monotonic() < end:
            t0 = time.monotonic()
            probes += 1
            try:
                if http_call(self.serve.port, "GET", "/healthz", timeout=3)[0] != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
            slowest = max(slowest, time.monotonic() - t0)
            time.sleep(0.1)
        for s in idle:
            s.close()
        time.sleep(0.3)
        added = self.serve.log_lines()[lines_before:]
        accept_lines = sum("accept" in line for line in added)
        self.info.append(f"descriptors: nofile {nofile} ({fds_at_start} open after start), {len(idle)} idle "
                         f"connections held {self.args.idle_hold_s:.0f} s: /healthz {probes - failed}/{probes} "
                         f"answered (slowest {slowest * 1000:.0f} ms), {len(added)} log lines, "
                         f"{accept_lines} about accept")
        if failed:
            self.notes.append(f"descriptors: {failed} of {probes} /healthz probes got no answer within 3 s")
        if len(added) > self.args.log_flood_lines:
            self.notes.append(f"descriptors: the log grew by {len(added)} lines in {self.args.idle_hold_s:.0f} s")
        self.kill("descriptors")

    # -- the run ---------------------------------------------------------------------

    def plan(self):
        """The steps, in order, until they add up to the kills asked for; every
        kind at least once (the full disk only on a tmpfs)."""
        n = self.kills_target
        due = [(n // 6, "startup"), (n // 2, "compaction"), ((2 * n) // 3, "descriptors")]
        if self.tmpfs:
            due.append((n // 3, "disk-full"))
        due.sort()
        weight = {"load": 1, "startup": 2, "compaction": 1, "disk-full": 1, "descriptors": 2}
        steps, kills = [], 0
        while kills < n or due:
            if due and due[0][0] <= kills:
                step = due.pop(0)[1]
            else:
                step = self.rng.choices(["load", "startup", "compaction"], weights=[5, 2, 2])[0]
            steps.append(step)
            kills += weight[step]
        return steps

    def run(self):
        say(f"{self.executor}: folder {self.dir}")
        kubeconfig = None
        if self.executor == "kubernetes":
            kubeconfig = self.start_fake_apiserver(REPO / "config/testbeds/thesis.yaml")
        self.mount_tmpfs()
        config = self.write_config(kubeconfig)
        self.serve = Serve(self.args, self.dir, config, self.journal_dir / "journal.jsonl", self.executor)
        started = time.monotonic()
        self.restart()
        threads = [threading.Thread(target=self.client, args=(i, self.serve.port), daemon=True)
                   for i in range(self.args.clients)]
        threads += [threading.Thread(target=self.observer, daemon=True),
                    threading.Thread(target=self.progress, daemon=True)]
        for t in threads:
            t.start()
        try:
            for step in self.plan():
                if step == "load":
                    self.kill_under_load()
                elif step == "startup":
                    time.sleep(self.rng.uniform(*self.load_s))
                    self.kill_during_startup()
                elif step == "compaction":
                    time.sleep(self.rng.uniform(0, self.load_s[0]))
                    self.kill_during_compaction()
                elif step == "disk-full":
                    time.sleep(self.rng.uniform(*self.load_s))
                    self.full_disk()
                elif step == "descriptors":
                    self.descriptor_exhaustion()
                if self.rng.random() < self.args.torn_rate:
                    self.tear_tail()
                self.restart()
            time.sleep(self.rng.uniform(*self.load_s))
        finally:
            self.stop_clients.set()
            for t in threads[: self.args.clients]:
                t.join(timeout=self.args.ambiguous_retry_s + 10)
        say(f"{self.executor}: {self.kills} kills done in {time.monotonic() - started:.0f} s; draining")
        self.drain()
        self.stop_observer.set()
        for t in threads[self.args.clients:]:
            t.join(timeout=15)
        self.reconcile()
        self.finish()

    def drain(self):
        deadline = time.monotonic() + self.args.drain_s
        while time.monotonic() < deadline:
            if self.observe_once("drain"):
                with self.ledger.lock:
                    if self.ledger.pending == 0:
                        return
            time.sleep(0.25)

    # -- the checks ------------------------------------------------------------------

    def kube_jobs(self):
        """Our Jobs in the fake API server, over HTTPS with its CA and token (503s retried)."""
        host = urllib.parse.urlparse(self.fake_url)
        ctx = ssl.create_default_context(cadata=self.ca_pem)
        selector = urllib.parse.quote("app.kubernetes.io/managed-by=synergai")
        path = f"/apis/batch/v1/namespaces/{self.namespace}/jobs?labelSelector={selector}"
        for _ in range(50):
            conn = http.client.HTTPSConnection(host.hostname, host.port, context=ctx, timeout=10)
            try:
                conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
                resp = conn.getresponse()
                data = resp.read()
                if resp.status == 200:
                    return json.loads(data)["items"]
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        raise SoakError("could not list the fake API server's Jobs")

    def reconcile(self):
        L = self.ledger
        port = self.serve.port
        listed = list_all(port, page=self.args.page)  # small pages: the pagination is checked too
        counts = {}
        for j in listed:
            counts[j["id"]] = counts.get(j["id"], 0) + 1
        final = {j["id"]: j for j in listed}
        self.ledger.observe(listed, "final")
        # Ambiguous submissions: written or not, both are allowed; they are not counted as accepted.
        ambiguous_written = {i for i in L.ambiguous if i in final}
        known = L.accepted | ambiguous_written
        lost, stuck = [], []
        for jid in sorted(L.accepted):
            try:
                status, body = http_call(port, "GET", f"/v1/jobs/{jid}", timeout=10)
            except (OSError, http.client.HTTPException) as e:
                raise SoakError(f"GET /v1/jobs/{jid}: {e}")
            if status == 404 or jid not in final:
                lost.append(jid)
            elif status != 200:
                raise SoakError(f"GET /v1/jobs/{jid} answered {status}: {body}")
            elif body["state"] not in TERMINAL:
                stuck.append((jid, body["state"]))
            elif final[jid]["state"] in TERMINAL and body["state"] != final[jid]["state"]:
                self.notes.append(f"job {jid}: the list says {final[jid]['state']}, GET says {body['state']}")
        stuck += [(i, final[i]["state"]) for i in sorted(ambiguous_written) if final[i]["state"] not in TERMINAL]
        listed_twice = sorted(i for i, c in counts.items() if c > 1)
        resurrected = sorted(i for i in L.refused if i in final)
        phantom = sorted(i for i in final if i not in L.submitted)
        jobs_twice, orphaned, without_job, recreated = [], [], [], []
        if self.executor == "kubernetes":
            per_id = {}
            for item in self.kube_jobs():
                meta = item.get("metadata", {})
                jid = meta.get("annotations", {}).get("synergai.io/job-id")
                per_id.setdefault(jid, []).append(meta.get("name"))
            for jid, names in sorted(per_id.items(), key=lambda kv: str(kv[0])):
                if jid is None or jid not in known:
                    orphaned += [(jid, n) for n in names]
                elif len(names) > 1:
                    jobs_twice.append((jid, names))
            # A succeeded job ran as a Job that must still be there (job_ttl_s is a day).
            without_job = sorted(i for i in known
                                 if i in final and final[i]["state"] == "succeeded" and i not in per_id)
            self.kube_per_id = per_id
            # The soak cancels nothing: a Job the service deleted whose job has a
            # Job again was made twice (the work ran twice). The server's request
            # log says which names were deleted.
            self.stop_processes()
            deleted = self.apiserver_requests()
            name_to_id = {n: jid for jid, names in per_id.items() for n in names}
            recreated = sorted((name_to_id[n], n) for n in deleted if n in name_to_id)
        self.stop_processes()
        duplicated = sorted(set(listed_twice) | {r[0] for r in L.reruns} | {f[0] for f in L.flips}
                            | {j for j, _ in jobs_twice} | {j for j, _ in recreated})
        self.row = {
            "executor": self.executor, "kills": self.kills, "accepted": len(L.accepted), "lost": len(lost),
            "duplicated": len(duplicated), "stuck": len(stuck), "orphaned": len(orphaned),
            "restart_p50": percentile(self.restart_s, 0.5), "restart_p99": percentile(self.restart_s, 0.99),
        }
        self.details = {"lost": lost, "stuck": stuck, "listed twice": listed_twice, "terminal, then run again":
                        L.reruns, "terminal state changed": L.flips, "several Jobs at the end": jobs_twice,
                        "Job deleted and made again": recreated, "orphaned Jobs": orphaned}
        states = {}
        for j in final.values():
            states[j["state"]] = states.get(j["state"], 0) + 1
        self.info.append(f"submissions: {len(L.accepted)} accepted (201), {len(L.refused)} refused (503), "
                         f"{len(L.ambiguous)} ambiguous ({len(ambiguous_written)} of them written), "
                         f"{L.retried} repeats after a cut connection; final states "
                         + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
        self.info.append("kills: " + ", ".join(f"{k} {v}" for k, v in self.kill_kinds.items() if v)
                         + f"; {self.compaction_hits} left a half-written compaction file; "
                         f"{self.torn_tails} torn tails appended; {len(self.restart_s)} restarts measured")
        for name, items in (("resurrected (answered 503, present later)", resurrected),
                            ("phantom (never submitted)", phantom), ("succeeded without a Job", without_job),
                            ("unexpected answers", L.unexpected)):
            if items:
                self.notes.append(f"{name}: {len(items)}, e.g. {items[:5]}")
        gone = L.vanished - set(final)
        if gone - L.accepted:
            self.info.append(f"{len(gone - L.accepted)} jobs were listed while their submission was pending and "
                             f"are absent at the end ({len(gone & L.refused)} of them answered 503, "
                             f"{len(gone & L.ambiguous)} ambiguous)")

    def stop_processes(self):
        """SIGTERM to the service, then to the fake API server (which writes its request log)."""
        if self.serve_exit is None and self.serve.alive():
            self.serve_exit = self.serve.terminate()
            self.info.append(f"SIGTERM at the end: exit {self.serve_exit}")
        if self.fake and self.fake.poll() is None:
            self.fake.send_signal(signal.SIGTERM)
            try:
                self.fake.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.fake.kill()

    def apiserver_requests(self):
        """Names of the Jobs deleted; an info line with the request counts."""
        creates, injected, deleted = 0, 0, []
        log = self.dir / "apiserver-requests.jsonl"
        for line in log.read_text().splitlines() if log.exists() else []:
            r = json.loads(line)
            injected += r["injected"]
            if r["endpoint"] == "create_job" and r["status"] == 201:
                creates += 1
            if r["endpoint"] == "delete_job" and r["status"] in (200, 202):
                deleted.append(urllib.parse.urlparse(r["target"]).path.rsplit("/", 1)[-1])
        jobs = sum(len(v) for v in self.kube_per_id.values())
        self.info.append(f"API server: {injected} faults injected; {creates} Jobs created, {len(deleted)} deleted, "
                         f"{jobs} at the end")
        return deleted

    def finish(self):
        journal = self.journal_dir / "journal.jsonl"
        quarantine = self.journal_dir / "journal.jsonl.quarantine"
        if self.torn_tails:
            # Two tails appended with no start in between (a kill during start-up) are one line.
            kept = quarantine.read_bytes().replace(b"\n", b"") if quarantine.exists() else b""
            self.info.append(f"quarantine file: {len(kept)} bytes for the {self.torn_bytes} bytes of the "
                             f"{self.torn_tails} torn tails appended")
        lines = self.serve.log_lines()
        compactions = sum("compacted" in line for line in lines)
        restarted = sum("job watcher:" in line and "starting it again" in line for line in lines)
        if restarted:
            self.info.append(f"the job watcher was started again {restarted} times after a system error")
        self.info.append(f"journal: {journal.stat().st_size if journal.exists() else 0} bytes at the end, "
                         f"{compactions} compactions logged")
        if self.tmpfs:
            subprocess.run(["umount", str(self.journal_dir)], check=False)
            self.tmpfs = False


def print_table(rows):
    cols = ["executor", "kills", "accepted", "lost", "duplicated", "stuck", "orphaned", "restart p50 s",
            "restart p99 s"]
    cells = [[r["executor"], str(r["kills"]), str(r["accepted"]), str(r["lost"]), str(r["duplicated"]),
              str(r["stuck"]), str(r["orphaned"]), f"{r['restart_p50']:.3f}", f"{r['restart_p99']:.3f}"]
             for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(cols, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--synergai", default=str(REPO / "build/release/apps/synergai"))
    p.add_argument("--fake-apiserver", default=str(REPO / "build/release/apps/synergai-fake-apiserver"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--short", action="store_true", help="the CTest variant: 8 + 4 kills, about a minute")
    p.add_argument("--executors", default="simulated,kubernetes")
    p.add_argument("--kills-simulated", type=int)
    p.add_argument("--kills-kubernetes", type=int)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--keep", action="store_true", help="keep the run's folder (logs, journals)")
    p.add_argument("--workdir", help="where the run's folder goes (default: the system's temporary folder)")
    a = p.parse_args()
    # Settings (not options: the documented figures are for these).
    a.kills_simulated = a.kills_simulated or (8 if a.short else 52)
    a.kills_kubernetes = a.kills_kubernetes or (4 if a.short else 16)
    a.load_s = (0.3, 1.2) if a.short else (0.4, 2.2)
    a.load_kube_s = (0.3, 1.2) if a.short else (1.0, 3.5)
    a.speedup = 2000
    a.queries_min, a.queries_max = 10, 100
    a.client_pause_sim_s = 0.06
    a.client_pause_kube_s = 0.4
    a.compact_bytes = 16384
    a.retention_jobs = 10_000_000
    a.ambiguous_retry_s = 15.0
    a.observe_s = 1.0
    a.progress_s = 5.0
    a.ready_limit_s = 30.0
    a.drain_s = 60.0 if a.short else 90.0
    a.page = 250
    a.torn_rate = 0.3
    a.compaction_watch_s = 6.0
    a.tmpfs_mib = 24
    a.full_hold_s = 1.5
    a.nofile = 64
    a.idle_connections = 200
    a.idle_hold_s = 2.0 if a.short else 4.0
    a.log_flood_lines = 30
    a.kube_job_ms = 100
    a.job_failure_rate = 0.05
    a.api_error_rate = 0.10
    a.watch_drop_rate = 0.05
    a.watch_gone_rate = 0.5
    executors = [e for e in a.executors.split(",") if e]
    for e in executors:
        if e not in ("simulated", "kubernetes"):
            p.error(f"--executors: unknown executor {e!r} (simulated, kubernetes)")
    for binary in [a.synergai] + ([a.fake_apiserver] if "kubernetes" in executors else []):
        if not os.access(binary, os.X_OK):
            p.error(f"{binary}: not an executable (build it: cmake --build build/release --target synergai "
                    f"synergai-fake-apiserver)")
    if shutil.which("prlimit") is None:
        p.error("prlimit (util-linux) is needed for the descriptor-exhaustion step")
    root = Path(tempfile.mkdtemp(prefix="synergai-soak-", dir=a.workdir))
    say(f"soak: seed {a.seed}, executors {', '.join(executors)}, folder {root}")
    # Copies: the same programs for the whole run, even if the build replaces them meanwhile.
    (root / "bin").mkdir()
    a.synergai = shutil.copy2(a.synergai, root / "bin" / "synergai")
    if "kubernetes" in executors:
        a.fake_apiserver = shutil.copy2(a.fake_apiserver, root / "bin" / "synergai-fake-apiserver")
    rows, failures, phases = [], [], []
    try:
        for e in executors:
            phase = Phase(a, e, a.kills_simulated if e == "simulated" else a.kills_kubernetes, root)
            phases.append(phase)
            try:
                phase.run()
            except (SoakError, OSError) as err:
                failures.append(f"{e}: {err}")
                say(f"{e}: stopped: {err}")
                continue
            finally:
                if phase.serve and phase.serve.alive():
                    phase.serve.kill9()
                if phase.fake and phase.fake.poll() is None:
                    phase.fake.kill()
                if phase.tmpfs:
                    subprocess.run(["umount", str(phase.journal_dir)], check=False, capture_output=True)
            rows.append(phase.row)
    finally:
        print(f"\nsoak: seed {a.seed}, {time.monotonic() - START:.0f} s", flush=True)
    print_table(rows)
    for phase in phases:
        for line in phase.info:
            print(f"  {phase.executor}: {line}")
        for name, items in getattr(phase, "details", {}).items():
            if items:
                failures.append(f"{phase.executor}: {name}: {len(items)}, e.g. {items[:5]}")
        failures += [f"{phase.executor}: {n}" for n in phase.notes]
    for f in failures:
        print(f"FAILED {f}")
    if a.keep or failures:
        print(f"logs and journals: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    bad = failures or any(r[k] for r in rows for k in ("lost", "duplicated", "stuck", "orphaned"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
