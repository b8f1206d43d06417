"""Shared helpers of the whole-process benchmarks in bench/ (standard library only).

Processes started through `Procs` are stopped when the script exits; a
PostgreSQL cluster from `PgCluster` is removed with scripts/pgcluster stop.
CPU and memory figures come from /proc (Linux only).
"""
import atexit
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def say(msg):
    print(f"{os.path.basename(sys.argv[0])}: {msg}", file=sys.stderr, flush=True)


def die(msg):
    say("error: " + msg)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, fn, timeout=30.0, every=0.1):
    """Polls fn() until it returns a true value; dies after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception:  # not ready yet
            pass
        if time.monotonic() > end:
            die(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def ensure_packages():
    """Installs the test/bench Debian packages of scripts/lib/packages.sh (root, apt)."""
    script = (f'source "{ROOT}/scripts/lib/packages.sh"; pgwarden_install_packages '
              '"${PGWARDEN_BUILD_PACKAGES[@]}" "${PGWARDEN_RUNTIME_PACKAGES[@]}" '
              '"${PGWARDEN_TEST_PACKAGES[@]}"')
    if subprocess.run(["bash", "-c", script]).returncode != 0:
        die("could not install the required packages")


def pgwarden_binary():
    """Installs what is missing of scripts/lib/packages.sh, then returns
    PGWARDEN_BINARY or ROOT/build/pgwarden (built when missing)."""
    ensure_packages()
    path = os.environ.get("PGWARDEN_BINARY", os.path.join(ROOT, "build", "pgwarden"))
    if not os.access(path, os.X_OK):
        say("building pgwarden (RelWithDebInfo) into build/")
        build = os.path.join(ROOT, "build")
        subprocess.run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build, "--target", "pgwarden", "-j",
                        str(os.cpu_count() or 2)], check=True, stdout=subprocess.DEVNULL)
    return path


def workdir(name):
    """A scratch directory, removed at exit unless BENCH_KEEP=1."""
    d = tempfile.mkdtemp(prefix=f"pgwarden-{name}.")
    os.chmod(d, 0o755)  # the postgres user must reach the cluster directory
    if os.environ.get("BENCH_KEEP") != "1":
        atexit.register(shutil.rmtree, d, True)
    return d


class Procs:
    """Background processes, terminated (TERM, then KILL) at exit."""

    def __init__(self):
        self.procs = []  # [Popen, pid to signal]
        atexit.register(self.stop_all)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: sys.exit(130))

    def start(self, argv, log, env=None):
        p = subprocess.Popen(argv, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                             env={**os.environ, **(env or {})})
        self.procs.append([p, p.pid])
        return p

    def start_timed(self, argv, log, time_file, env=None):
        """Runs argv under /usr/bin/time -v -o TIME_FILE; returns (Popen of
        time, PID of argv). Stopping signals the program, so that time
        survives to write its report."""
        p = self.start(["/usr/bin/time", "-v", "-o", time_file, *argv], log, env)
        pid = timed_child(p)
        self.procs[-1][1] = pid
        return p, pid

    def stop(self, p, timeout=10):
        pid = next((pid for q, pid in self.procs if q is p), p.pid)
        if p.poll() is None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                p.kill()
                p.wait()

    def stop_all(self):
        for p, _ in reversed(self.procs):
            self.stop(p)


class PgCluster:
    """A primary + standbys from scripts/pgcluster, removed at exit."""

    def __init__(self, directory, standbys=1, settings=None):
        self.dir = directory
        r = subprocess.run([os.path.join(ROOT, "scripts", "pgcluster"), "start", directory,
                            "--standbys", str(standbys)], capture_output=True, text=True)
        if r.returncode != 0:
            die("pgcluster start failed:\n" + r.stderr)
        atexit.register(self.stop)
        self.env = {}
        with open(os.path.join(directory, "env")) as f:
            for line in f:
                if "=" in line and not line.startswith("#"):
                    k, v = line.rstrip("\n").split("=", 1)
                    self.env[k] = v.strip('"')
        self.names = ["primary"] + self.env["STANDBY_NAMES"].split()
        self.ports = [int(self.env["PRIMARY_PORT"])] + [int(p) for p in self.env["STANDBY_PORTS"].split()]
        if settings:
            self.configure(settings)

    def data_dir(self, i):
        return os.path.join(self.dir, self.names[i])

    def psql(self, i, sql):
        """Runs SQL as superuser on server i; returns its unaligned output."""
        r = subprocess.run(["runuser", "-u", "postgres", "--", os.path.join(self.env["PGBIN"], "psql"),
                            "-X", "-h", self.dir, "-p", str(self.ports[i]), "-U", "postgres",
                            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
                           capture_output=True, text=True)
        if r.returncode != 0:
            die(f"psql on {self.names[i]} failed: {r.stderr.strip()}")
        return r.stdout.strip()

    def pg_ctl(self, i, *args):
        r = subprocess.run(["runuser", "-u", "postgres", "--", os.path.join(self.env["PGBIN"], "pg_ctl"),
                            "-D", self.data_dir(i), "-l", os.path.join(self.dir, self.names[i] + ".log"),
                            "-w", "-t", "60", *args], capture_output=True, text=True)
        if r.returncode != 0:
            die(f"pg_ctl {' '.join(args)} on {self.names[i]} failed: {r.stderr.strip()}")

    def configure(self, settings):
        """ALTER SYSTEM on every server, then restarts them (standbys first:
        a standby's max_connections must not be below its primary's)."""
        for i in range(len(self.ports)):
            for k, v in settings.items():
                self.psql(i, f"ALTER SYSTEM SET {k} = '{v}'")
        for i in list(range(1, len(self.ports))) + [0]:
            self.pg_ctl(i, "restart", "-m", "fast")

    def add_hba(self, line):
        """Appends a pg_hba.conf line on every server and reloads."""
        for i in range(len(self.ports)):
            subprocess.run(["runuser", "-u", "postgres", "--", "sh", "-c",
                            f"echo '{line}' >> '{self.data_dir(i)}/pg_hba.conf'"], check=True)
            self.psql(i, "SELECT pg_reload_conf()")

    def postmaster_pids(self):
        pids = []
        for i in range(len(self.ports)):
            with open(os.path.join(self.data_dir(i), "postmaster.pid")) as f:
                pids.append(int(f.readline()))
        return pids

    def stop(self):
        if os.path.isdir(self.dir):
            subprocess.run([os.path.join(ROOT, "scripts", "pgcluster"), "stop", self.dir],
                           capture_output=True)


# --- /proc figures (Linux)

def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    return s[s.rindex(")") + 2:].split()  # fields from 3 (state) on


def cpu_seconds(pid):
    """utime + stime of every thread of the process, in seconds."""
    f = _stat_fields(pid)
    return (int(f[11]) + int(f[12])) / CLK_TCK


def status_kb(pid, key):
    """A kB figure from /proc/PID/status, e.g. VmHWM (peak RSS) or VmRSS."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pss_kb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def private_kb(pid):
    """Private_Clean + Private_Dirty of /proc/PID/smaps_rollup: the memory
    only this process holds (shared library pages and the like excluded)."""
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


def backends(postmasters, role):
    """PIDs of the PostgreSQL backends of `role` under the given postmasters
    (their process title is "postgres: ROLE DB HOST(PORT) STATE")."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if int(_stat_fields(d)[1]) not in postmasters:
                continue
            with open(f"/proc/{d}/cmdline", "rb") as f:
                title = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if title.startswith(f"postgres: {role} "):
            out.append(int(d))
    return out


class BackendCpu:
    """CPU of a role's backends over an interval. Each backend's cumulative
    CPU is remembered from its last sample, so a backend that exits between
    samples still counts up to that sample."""

    def __init__(self, postmasters, role):
        self.postmasters, self.role = set(postmasters), role
        self.first, self.last = {}, {}

    def sample(self):
        for pid in backends(self.postmasters, self.role):
            try:
                c = cpu_seconds(pid)
            except OSError:
                continue
            self.first.setdefault(pid, c)
            self.last[pid] = c

    def seconds(self):
        return sum(self.last[p] - self.first[p] for p in self.last)

    def pids_seen(self):
        return len(self.last)


# --- HTTP and statistics

def http_get(url, timeout=10):
    """(seconds, body) of one GET. A bare HTTP/1.0 request on a socket, so the
    client adds as little as possible to the measured time."""
    u = urllib.parse.urlsplit(url)
    t = time.perf_counter()
    with socket.create_connection((u.hostname, u.port), timeout) as s:
        s.sendall(f"GET {u.path or '/'} HTTP/1.0\r\nHost: {u.netloc}\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(1 << 16):
            chunks.append(chunk)
    t = time.perf_counter() - t
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1] if head else b"none"
    if status != b"200":
        raise OSError(f"GET {url}: HTTP status {status.decode(errors='replace')}")
    return t, body.decode(errors="replace")


def series(body):
    """Sample lines of a Prometheus text exposition."""
    return [l for l in body.splitlines() if l and not l.startswith("#")]


def percentile(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def median(values):
    return statistics.median(values) if values else float("nan")


def table(headers, rows):
    """A Markdown table as a string."""
    cells = [[str(c) for c in r] for r in rows]
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(r) + " |" for r in cells]
    return "\n".join(out)


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"nproc {os.cpu_count()}, CPU \"{model}\", load average {os.getloadavg()[0]:.2f}"


# --- pgwarden

def node_toml(name, role, port, password_file, extra=""):
    """One [[clusters.nodes]] entry for a server of a PgCluster."""
    return (f'[[clusters.nodes]]\nname = "{name}"\nrole = "{role}"\n'
            f'conninfo = "host=127.0.0.1 port={port} dbname=postgres user=pgwarden"\n'
            f'password_file = "{password_file}"\n{extra}\n')


def write_config(path, exporter, body):
    """A pgwarden config: [exporter] keys (dict of TOML literals) + the rest."""
    head = "[exporter]\n" + "".join(f"{k} = {v}\n" for k, v in exporter.items())
    # 0600: pgwarden refuses a config that others can read.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(head + "\n" + body)
    r = subprocess.run([pgwarden_binary(), "validate", "-c", path], capture_output=True, text=True)
    if r.returncode != 0:
        die(f"config {path} does not validate:\n{r.stdout}{r.stderr}")


def metric_values(body, name, *label_parts):
    """Values of the series of metric `name` whose line holds every label_part."""
    out = []
    for line in series(body):
        if (line.startswith(name + "{") or line.startswith(name + " ")) and all(p in line for p in label_parts):
            out.append(float(line.rsplit(" ", 1)[1]))
    return out


def timed_child(time_proc):
    """PID of the program /usr/bin/time started (its only child)."""
    def child():
        with open(f"/proc/{time_proc.pid}/task/{time_proc.pid}/children") as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None
    return wait_for("the timed process", child, timeout=10, every=0.02)


def time_v(path):
    """Figures of a /usr/bin/time -v report: max RSS kB, user+system seconds."""
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().rpartition(": ")
            out[k] = v
    return {"max_rss_kb": int(out.get("Maximum resident set size (kbytes)", 0)),
            "cpu_s": float(out.get("User time (seconds)", 0)) + float(out.get("System time (seconds)", 0))}
