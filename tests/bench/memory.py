"""Memory of a server and every process under it, read from Linux's /proc.

PSS (proportional set size) is what a process holds, with pages shared between processes
split among them: the sums add up to what the machine gives the whole tree. RSS counts a
shared page in every process that maps it, so it overstates a tree of spawned workers.

    python -m tests.bench.memory PID     # the tree under PID, now
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

PROC = Path("/proc")

# What a process of the tree is, by its command line (first match wins).
ROLES = (
    ("run-actions", "action server"),
    ("rasa_sdk", "action server"),
    ("rasa-run", "Rasa server"),
    ("bin/rasa run", "Rasa server"),
    ("multiprocessing.spawn", "worker"),
    ("multiprocessing.resource_tracker", "resource tracker"),
    ("-m bot run", "supervisor"),
    ("nginx", "nginx"),
    ("postgres", "PostgreSQL"),
    ("redis-server", "Redis"),
    ("rabbitmq", "RabbitMQ"),
    ("beam.smp", "RabbitMQ"),
    ("epmd", "RabbitMQ"),
)


@dataclass
class Process:
    pid: int
    role: str
    pss_kb: int
    rss_kb: int


def _children() -> Dict[int, List[int]]:
    tree: Dict[int, List[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _role(pid: int) -> str:
    try:
        command = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "gone"
    for needle, role in ROLES:
        if needle in command:
            return role
    return command.split(" ", 1)[0].rsplit("/", 1)[-1] or "?"


def _sizes(pid: int) -> tuple:
    pss = rss = 0
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def tree(root: int) -> List[Process]:
    """`root` and all its descendants, with their memory now."""
    children = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    processes = []
    for pid in found:
        pss, rss = _sizes(pid)
        if pss or rss:
            processes.append(Process(pid, _role(pid), pss, rss))
    return processes


def summary(processes: List[Process]) -> str:
    """One line: the total and each role's share, in MB of PSS."""
    total = sum(p.pss_kb for p in processes) / 1024
    by_role: Dict[str, List[float]] = {}
    for process in processes:
        by_role.setdefault(process.role, []).append(process.pss_kb / 1024)
    parts = [f"{role} {' + '.join(f'{size:.0f}' for size in sorted(sizes, reverse=True))}"
             for role, sizes in sorted(by_role.items(), key=lambda item: -sum(item[1]))]
    return f"{total:,.0f} MB in all ({'; '.join(parts)} MB)"


def main() -> int:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    processes = tree(int(sys.argv[1]))
    for process in processes:
        print(f"{process.pid:>8} {process.role:<18} PSS {process.pss_kb / 1024:8.0f} MB  RSS {process.rss_kb / 1024:8.0f} MB")
    print(summary(processes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
