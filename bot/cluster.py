"""`make run-cluster`: two Candor servers behind nginx, on PostgreSQL, Redis and RabbitMQ.

Everything listens on loopback and keeps its data under `<data dir>/cluster/`:

    nginx            CANDOR_PORT        round robin; socket.io kept on the server of its session
    Rasa servers     CANDOR_PORT+1, +2  each with its own action server:
    action servers   CANDOR_ACTIONS_PORT, +1
    PostgreSQL       CANDOR_PORT+10     conversations (masked) and Candor's tables
    Redis            CANDOR_PORT+11     Rasa's lock store; socket.io between the servers
    RabbitMQ         CANDOR_PORT+12     the masked event stream (queue candor_events)
                     (+13, +14: its Erlang distribution port and port mapper)

A service whose URL is already set (`CANDOR_DATABASE_URL`, `CANDOR_REDIS_URL`,
`CANDOR_EVENT_BROKER_URL`) is used instead of started. Each Candor server is `python -m bot
run` (its own supervisor, masked logs `logs/rasa-s1.log`, ...). Ctrl-C stops everything, the
Candor servers first, then nginx and the services.
"""
from __future__ import annotations

import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

from bot.config import PROJECT_ROOT, Settings
from bot.runner import Supervisor, child_environment, local_actions_url, verify_tracker_store, wait_until_up

SERVERS = ("s1", "s2")
START_SECONDS = 120


class ClusterError(SystemExit):
    """A service could not be started: said plainly, everything started so far is stopped."""


@dataclass(frozen=True)
class Ports:
    balancer: int
    servers: tuple
    actions: tuple
    postgres: int
    redis: int
    rabbitmq: int
    rabbitmq_dist: int
    epmd: int

    @classmethod
    def of(cls, current: Settings) -> "Ports":
        base, actions = current.port, current.actions_port
        return cls(base, (base + 1, base + 2), (actions, actions + 1),
                   base + 10, base + 11, base + 12, base + 13, base + 14)


def program(name: str, extra_dirs: tuple = ()) -> str:
    """A service's program on PATH or in Debian's versioned folders (PostgreSQL's)."""
    found = shutil.which(name)
    for folder in extra_dirs:
        candidates = sorted(glob.glob(os.path.join(folder, name)), reverse=True)
        found = found or (candidates[0] if candidates else None)
    if not found:
        raise ClusterError(f"{name} is not installed: `make run-cluster` installs Debian's packages "
                           "postgresql, redis-server, rabbitmq-server and nginx (as root).")
    return found


PG_DIRS = ("/usr/lib/postgresql/*/bin",)


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait(what: str, ready: Callable[[], bool], child: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise ClusterError(f"{what} stopped while starting (exit code {child.returncode}); see {log}")
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.5)
    raise ClusterError(f"{what} did not start within {START_SECONDS} s; see {log}")


class Cluster:
    def __init__(self, current: Settings) -> None:
        self.current = current
        self.ports = Ports.of(current)
        self.home = current.data_dir / "cluster"
        self.supervisor = Supervisor()
        self.env = child_environment(current)
        self.stops: List[Callable[[], None]] = []  # run in reverse order
        self.logs = current.logs_dir

    # -- helpers ---------------------------------------------------------------------------
    def _dir(self, name: str, owner: Optional[str] = None) -> Path:
        path = self.home / name
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.chmod(0o700)
        if owner:
            user = pwd.getpwnam(owner)
            os.chown(path, user.pw_uid, user.pw_gid)
        return path

    def _secrets(self) -> Dict[str, str]:
        """Passwords of the cluster's own services, made once (mode 600)."""
        path = self.home / "secrets.json"
        values = json.loads(path.read_text()) if path.exists() else {}
        missing = [name for name in ("postgres", "redis", "rabbitmq") if name not in values]
        if missing:
            values.update({name: secrets.token_urlsafe(24) for name in missing})
            fresh = path.with_suffix(".new")
            fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(values, out)
            fresh.replace(path)
        return values

    def _start(self, name: str, command: List[str], env: Optional[dict] = None,
               cwd: Optional[Path] = None) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "a", buffering=1) as log:
            return self.supervisor.start(command, env or self.env, cwd=cwd or self.home,
                                         stdout=log, stderr=subprocess.STDOUT)

    # -- services --------------------------------------------------------------------------
    def postgres(self) -> str:
        password = self._secrets()["postgres"]
        # PostgreSQL refuses to run as root: as root it runs as Debian's `postgres` user,
        # which may then pass through (not list) the data dir to reach its own folder.
        as_root = os.geteuid() == 0
        owner = "postgres" if as_root else None
        run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
        if as_root:
            for folder in (self.current.data_dir, self.home):
                folder.chmod(0o711)
        data = self._dir("postgres", owner)
        if as_root and subprocess.run([*run_as, "test", "-x", str(data)]).returncode != 0:
            raise ClusterError(
                f"PostgreSQL runs as the `postgres` user, who cannot pass through a folder above "
                f"{self.current.data_dir}: choose a CANDOR_DATA_DIR whose parent folders others may "
                "pass through (chmod o+x), or run as a user other than root.")
        done = data / "initialised"
        if not done.exists():
            shutil.rmtree(data / "db", ignore_errors=True)  # an initdb that did not finish
            pwfile = self.home / "postgres" / ".pw"
            pwfile.write_text(password)
            if owner:
                user = pwd.getpwnam(owner)
                os.chown(pwfile, user.pw_uid, user.pw_gid)
            try:
                subprocess.run([*run_as, program("initdb", PG_DIRS), "-D", str(data / "db"), "-U", "candor",
                                f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            except subprocess.CalledProcessError as exc:
                raise ClusterError(f"initdb failed: {exc.stderr.decode(errors='replace')[-500:]}") from exc
            finally:
                pwfile.unlink(missing_ok=True)
            done.write_text("initdb finished\n")
        port = self.ports.postgres
        child = self._start("postgres", [*run_as, program("postgres", PG_DIRS), "-D", str(data / "db"),
                                         "-c", "listen_addresses=127.0.0.1", "-c", f"port={port}",
                                         "-c", "unix_socket_directories=", "-c", "max_connections=200"])
        url = f"postgresql://candor:{password}@127.0.0.1:{port}/candor"

        def ready() -> bool:
            import psycopg2

            conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=2)
            try:
                conn.autocommit = True  # CREATE DATABASE runs outside a transaction
                with conn.cursor() as cur:
                    cur.execute("SELECT 1 FROM pg_database WHERE datname = 'candor'")
                    if cur.fetchone() is None:
                        cur.execute("CREATE DATABASE candor")
            finally:
                conn.close()
            return True

        _wait("PostgreSQL", ready, child, self.logs / "postgres.log")
        self.stops.append(lambda: self._stop(child, signal.SIGINT))  # PostgreSQL's fast shutdown
        return url

    def redis(self) -> str:
        password = self._secrets()["redis"]
        data = self._dir("redis")
        conf = data / "redis.conf"
        conf.write_text(f"bind 127.0.0.1\nport {self.ports.redis}\nprotected-mode yes\ndir {data}\n"
                        f"dbfilename dump.rdb\nsave 60 1\nrequirepass {password}\ndaemonize no\n")
        conf.chmod(0o600)
        child = self._start("redis", [program("redis-server"), str(conf)])
        url = f"redis://:{password}@127.0.0.1:{self.ports.redis}/1"

        def ready() -> bool:
            import redis

            return bool(redis.Redis.from_url(url, socket_timeout=2).ping())

        _wait("Redis", ready, child, self.logs / "redis.log")
        self.stops.append(lambda: self._stop(child, signal.SIGTERM))  # saves its dump, then exits
        return url

    def rabbitmq(self) -> str:
        data = self._dir("rabbitmq")
        (data / "enabled_plugins").write_text("[].\n")
        if not (data / "rabbitmq.conf").exists():
            # A user of its own with a generated password instead of guest/guest (made when the
            # node first boots; queues from before, masked events only, are not kept).
            shutil.rmtree(data / "mnesia", ignore_errors=True)
        password = self._secrets()["rabbitmq"]
        fd = os.open(data / "rabbitmq.conf", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as conf:
            conf.write(f"default_user = candor\ndefault_pass = {password}\n"
                       "default_permissions.configure = .*\ndefault_permissions.read = .*\n"
                       "default_permissions.write = .*\n")
        env = dict(self.env)
        env.update(
            HOME=str(data),  # the Erlang cookie
            RABBITMQ_MNESIA_BASE=str(data / "mnesia"), RABBITMQ_LOG_BASE=str(data / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(data / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(data / "rabbitmq"),
            RABBITMQ_NODENAME=f"candor-{self.ports.rabbitmq}@localhost",
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1", RABBITMQ_NODE_PORT=str(self.ports.rabbitmq),
            RABBITMQ_DIST_PORT=str(self.ports.rabbitmq_dist),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
            ERL_EPMD_PORT=str(self.ports.epmd), ERL_EPMD_ADDRESS="127.0.0.1",
        )
        epmd = self._start("epmd", [program("epmd", ("/usr/lib/erlang/erts-*/bin",)),
                                    "-port", str(self.ports.epmd), "-address", "127.0.0.1"], env=env)
        rabbit_server = "/usr/lib/rabbitmq/bin/rabbitmq-server"
        if not os.path.exists(rabbit_server):
            rabbit_server = program("rabbitmq-server")
        child = self._start("rabbitmq", [rabbit_server], env=env, cwd=data)
        url = f"amqp://candor:{password}@127.0.0.1:{self.ports.rabbitmq}/"
        _wait("RabbitMQ", lambda: _port_open(self.ports.rabbitmq), child, self.logs / "rabbitmq.log")
        self.stops.append(lambda: self._stop(epmd, signal.SIGTERM))
        self.stops.append(lambda: self._stop(child, signal.SIGTERM))
        return url

    def nginx(self) -> None:
        data = self._dir("nginx")
        servers = dict(zip(SERVERS, self.ports.servers))
        conf = data / "nginx.conf"
        routes = "\n".join(f"        ~^{name}\\. 127.0.0.1:{port};" for name, port in servers.items())
        upstream = "\n".join(f"        server 127.0.0.1:{port} max_fails=0;" for port in servers.values())
        conf.write_text(f"""# Written by `make run-cluster` (bot/cluster.py) at every start.
worker_processes 1;
pid {data}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {data}/body;
    proxy_temp_path {data}/proxy;
    fastcgi_temp_path {data}/fastcgi;
    uwsgi_temp_path {data}/uwsgi;
    scgi_temp_path {data}/scgi;
    client_max_body_size 1m;
    client_body_buffer_size 1m;    # bodies stay in memory (the servers refuse long messages)
    proxy_buffering off;           # so do replies: no worker writes under the data dir
    proxy_http_version 1.1;
    proxy_read_timeout 120s;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    upstream candor_servers {{
{upstream}
        keepalive 32;
    }}
    # socket.io: a session id starts with its server's name (CANDOR_SERVER_ID); a request
    # without one (a new session) goes round robin.
    map $arg_sid $candor_socketio {{
{routes}
        default candor_servers;
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}
    server {{
        listen 127.0.0.1:{self.ports.balancer};
        location /socket.io/ {{
            proxy_pass http://$candor_socketio;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
        }}
        location / {{
            proxy_pass http://candor_servers;
            proxy_set_header Connection "";
        }}
    }}
}}
""")
        child = self._start("nginx", [program("nginx"), "-p", str(data), "-c", str(conf), "-g", "daemon off;"])
        _wait("nginx", lambda: _port_open(self.ports.balancer), child, self.logs / "nginx.log")
        self.stops.append(lambda: self._stop(child, signal.SIGQUIT))  # graceful

    def candor_servers(self) -> None:
        children = []
        for name, port, actions in zip(SERVERS, self.ports.servers, self.ports.actions):
            env = dict(self.env, CANDOR_PORT=str(port), CANDOR_ACTIONS_PORT=str(actions), CANDOR_SERVER_ID=name,
                       CANDOR_ACTIONS_URL=local_actions_url(actions))
            # nginx, on loopback, names the client in X-Forwarded-For (the per-address limit).
            env.setdefault("CANDOR_TRUSTED_PROXIES", "127.0.0.1")
            log = self.logs / f"cluster-{name}.log"
            child = self._start(f"cluster-{name}", [sys.executable, "-m", "bot", "run"], env=env,
                                cwd=PROJECT_ROOT)
            children.append((name, port, child, log))
            self.stops.append(lambda child=child: self._stop(child, signal.SIGTERM, grace=30))
        for name, port, child, log in children:
            if not wait_until_up(f"http://127.0.0.1:{port}/", 600, child):
                raise ClusterError(f"Candor server {name} did not start; see {log}")

    # -- the whole ---------------------------------------------------------------------------
    def _stop(self, child: subprocess.Popen, signum: int, grace: float = 20) -> None:
        self.supervisor.stop_one(child, signum, grace)

    def stop(self) -> None:
        for stop in reversed(self.stops):
            stop()
        self.stops.clear()
        self.supervisor.stop()  # anything left

    def start(self) -> Dict[str, str]:
        self.current.lock_down()
        self.current.api_token()
        self.current.jwt_secret()
        self.home.mkdir(exist_ok=True, mode=0o700)
        urls = {}
        for variable, service in (("CANDOR_DATABASE_URL", self.postgres), ("CANDOR_REDIS_URL", self.redis),
                                  ("CANDOR_EVENT_BROKER_URL", self.rabbitmq)):
            urls[variable] = self.env.get(variable) or service()
        self.env.update(urls)
        # Tables and fake orders once, before two servers would race to make them.
        os.environ.update(urls)
        from bot.__main__ import _setup

        _setup()
        verify_tracker_store(self.current)
        self.candor_servers()
        self.nginx()
        return urls


def run(current: Settings) -> int:
    cluster = Cluster(current)

    def _on_signal(signum, frame):  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        cluster.start()
        ports = cluster.ports
        print(
            f"\nThe Candor cluster is ready.\n"
            f"  Load balancer (nginx): http://localhost:{ports.balancer} (REST, socket.io, HTTP API, desk)\n"
            f"  Candor servers:        127.0.0.1:{ports.servers[0]} and :{ports.servers[1]}; action servers "
            f":{ports.actions[0]} and :{ports.actions[1]}\n"
            f"  PostgreSQL :{ports.postgres}, Redis :{ports.redis}, RabbitMQ :{ports.rabbitmq} "
            f"(masked events on queue candor_events)\n"
            f"  Data and logs: {current.data_dir} (cluster/, logs/)\n"
            f"Press Ctrl-C to stop.\n", flush=True)
        ended = cluster.supervisor.first_exit()
        print(f"A cluster process ended (exit code {ended.returncode}, {ended.args[0] if ended.args else '?'}); "
              "stopping the rest.", file=sys.stderr)
        return ended.returncode or 1
    except KeyboardInterrupt:
        print("\nStopping the Candor cluster...", file=sys.stderr)
        return 0
    except ClusterError as error:
        print(f"run-cluster: {error}", file=sys.stderr)
        return 2
    finally:
        cluster.stop()
