"""Operator CLI: `python -m bot setup | check | run | run-cluster | shell | agent | data | consent | retention | maintenance`."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT, settings
from bot.guardrails.loader import PolicyError, check_against_domain, load_policies


def _check() -> int:
    try:
        loaded = load_policies()
        check_against_domain(loaded, PROJECT_ROOT / "domain.yml")
    except PolicyError as error:
        print(f"Invalid policy file. {error}", file=sys.stderr)
        return 2
    from bot.channels.agents import AgentConfigError, load_agents

    try:
        load_agents()
    except AgentConfigError as error:
        print(f"Invalid agent desk configuration. {error}", file=sys.stderr)
        return 2
    print(f"Policies OK ({loaded.directory}), disclosure version {loaded.disclosure_version}.")
    return 0


def _setup() -> int:
    from bot.storage import stores

    current = settings()
    current.ensure_dirs()
    added = stores().orders.seed_orders()
    _, token_file = current.api_token()
    print(f"Data directory: {current.data_dir}")
    if added:
        print(f"Created the order table with {added} generated fake orders.")
    if token_file:
        print(f"HTTP API token: {token_file} (set CANDOR_API_TOKEN to use your own).")
    _, secret_file = current.jwt_secret()
    if secret_file:
        print(f"Customer identity tokens are signed with the key in {secret_file} "
              "(set CANDOR_JWT_SECRET to use your own; `python -m bot token --sender ID` issues one).")
    current.lock_down()
    return 0


def _rasa_run(rasa_args) -> int:
    """`rasa run <rasa_args>` in this process, given the API token here rather than on the
    command line (`/proc/<pid>/cmdline` keeps what the process was started with)."""
    from rasa.__main__ import main as rasa_main

    from bot import speedups
    from bot.pii import analysis_process
    from bot.storage import fail_closed

    speedups.install()
    fail_closed.install()  # a database error fails the turn; no fresh or in-memory tracker
    # The workers load while Rasa loads the model: with a model, one that analyses and parses
    # (the server then loads only the model's dialogue part), else two that analyse.
    model = rasa_args[rasa_args.index("--model") + 1] if "--model" in rasa_args[:-1] else None
    analysis_process.start(model)
    if analysis_process.parses_at_the_door():
        speedups.dialogue_part_only()
    token = settings().api_token()[0]
    sys.argv = ["rasa", "run", *rasa_args, f"--auth-token={token}"]  # one argument: it may start with "-"
    rasa_main()
    return 0


def _orders(args) -> int:
    import json

    from bot.storage import stores
    from bot.storage.orders import fake_orders

    settings().ensure_dirs()
    stores().orders.seed_orders()
    for order in fake_orders(settings().fake_orders_seed())[:max(args.limit, 0)]:
        facts = {"order_number": order.order_number, "status": order.row["status"],
                 "email": order.email, "postcode": order.postcode}
        if args.json:  # the JSON lines also say whether a return arrived and its refund was paid
            facts["refund"] = order.returned and ("paid" if order.returned["refunded_on"] else "due")
        print(json.dumps(facts) if args.json else "  ".join(f"{v:<28}" for v in facts.values()).rstrip())
    return 0


def _agent(args) -> int:
    from bot.channels.agents import AgentConfigError, add_agent, agents_file, load_agents, remove_agent

    try:
        if args.agent_command == "add":
            token = add_agent(args.id, args.name)
            print(f"Agent {args.id} ({args.name}) added to {agents_file()}.")
            print("Token (shown once; only its hash is kept):")
            print(token)
        elif args.agent_command == "remove":
            if not remove_agent(args.id):
                print(f"No agent {args.id} in {agents_file()}.", file=sys.stderr)
                return 1
            print(f"Agent {args.id} removed; their token no longer works.")
        else:
            agents = load_agents()
            if not agents:
                print(f"No agents yet ({agents_file()}). Add one: python -m bot agent add --id ID --name NAME")
            for agent in agents:
                print(f"{agent.id}\t{agent.name}")
    except AgentConfigError as error:
        print(f"Agent configuration: {error}", file=sys.stderr)
        return 2
    return 0


def _data_rights(args) -> int:
    import datetime as dt
    import json

    from bot.storage import stores

    consent, data_rights = stores().consent, stores().data_rights
    if args.command == "consent":
        print(json.dumps({"sender_id": args.sender, "current": consent.current(args.sender),
                          "history": consent.history(args.sender)}, indent=2, default=str))
        return 0
    if args.command == "retention":
        now = dt.datetime.fromisoformat(args.now) if args.now else None
        if now is not None and now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
        print(json.dumps({"removed": data_rights.retention_run(now=now)}, indent=2))
        return 0
    if args.data_command == "export":
        print(json.dumps(data_rights.export(args.sender, actor="operator"), indent=2, default=str))
    elif args.data_command == "erase":
        from bot.storage.profiles import notify_erasure

        receipt = data_rights.erase(args.sender, actor="operator")
        # Consumers of the event stream delete what they hold of the conversation too.
        print(json.dumps({"receipt": receipt, "stream_notified": notify_erasure(args.sender)}, indent=2, default=str))
    else:
        conversations = data_rights.training_export()
        text = json.dumps(conversations, indent=2, ensure_ascii=False)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
            print(f"{len(conversations)} consented, masked conversations written to {args.out}")
        else:
            print(text)
    return 0


def _explain(sender: str) -> int:
    from bot.explain import turns
    from bot.storage import stores

    consent, data_rights = stores().consent, stores().data_rights
    events = data_rights.stored_events(sender)
    if not events:
        print(f"No stored conversation for sender {sender!r}.", file=sys.stderr)
        return 1
    data_rights.audit("operator", "explain", sender, {"events": len(events)})
    for number, turn in enumerate(turns(events), 1):
        confidence = f"{turn['confidence']:.2f}" if turn["confidence"] is not None else "-"
        pattern = f", pattern rule {turn['pattern']}" if turn["pattern"] else ""
        print(f"{number:>3}. customer: {turn['text']}")
        print(f"     intent {turn['intent']} (confidence {confidence}{pattern})")
        for decision in turn["decisions"]:
            print(f"     guardrail: rule {decision.get('rule')} ({decision.get('kind')}), reason "
                  f"{decision.get('reason', '-')}, priority {decision.get('priority', '-')}, "
                  f"based on {', '.join(decision.get('because') or []) or '-'}")
        for action in turn["actions"]:
            print(f"     action {action['name']} (by {action['policy'] or 'the action itself'})")
    print("consents:")
    for entry in consent.history(sender):
        print(f"     {entry['recorded_at']} {entry['purpose']}: {entry['decision']} "
              f"(notice {entry['notice_version']}, {entry['channel']}, message {entry['message_id']})")
    return 0


def main(argv=None) -> int:
    # Everything Candor and its servers create (database, logs, keys) is the owner's only.
    os.umask(0o077)
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="validate policies/*.yml")
    sub.add_parser("setup", help="create the data dir, tables, fake orders and API token")
    for name in ("run", "shell"):
        cmd = sub.add_parser(name, help=f"start the action server and `rasa {name}`")
        cmd.add_argument("--model", default=str(PROJECT_ROOT / "models" / "candor.tar.gz"))
    sub.add_parser("run-cluster", help="two Candor servers behind nginx on PostgreSQL, Redis and RabbitMQ "
                   "(all on loopback, data under the data dir; `make run-cluster`)")
    agent = sub.add_parser("agent", help="manage the desk's human agents and their tokens")
    agent_sub = agent.add_subparsers(dest="agent_command", required=True)
    add = agent_sub.add_parser("add", help="add an agent (or give them a new token)")
    add.add_argument("--id", required=True, help="short id, e.g. sam")
    add.add_argument("--name", required=True, help="name customers see, e.g. Sam")
    remove = agent_sub.add_parser("remove", help="remove an agent")
    remove.add_argument("--id", required=True)
    agent_sub.add_parser("list", help="list the agents")
    data = sub.add_parser("data", help="data rights: export or erase a customer's data; training export")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    for name, text in (("export", "print everything stored about a sender (JSON)"),
                       ("erase", "erase everything about a sender; keeps a receipt with a hashed id")):
        cmd = data_sub.add_parser(name, help=text)
        cmd.add_argument("--sender", required=True, help="the channel's sender id")
    training = data_sub.add_parser("training-export", help="masked conversations of customers who consented "
                                   "to improve_assistant, for conversation designers")
    training.add_argument("--out", help="file to write (default: print)")
    consent_cmd = sub.add_parser("consent", help="consent ledger")
    consent_sub = consent_cmd.add_subparsers(dest="consent_command", required=True)
    consent_sub.add_parser("show", help="a sender's consents and their history").add_argument("--sender", required=True)
    retention = sub.add_parser("retention", help="apply policies/retention.yml")
    retention_sub = retention.add_subparsers(dest="retention_command", required=True)
    retention_sub.add_parser("run", help="delete what is past its retention period").add_argument(
        "--now", help="ISO date-time to use as now (default: the clock)")
    maintenance = sub.add_parser("maintenance", help="database upkeep for a quiet hour")
    maintenance_sub = maintenance.add_subparsers(dest="maintenance_command", required=True)
    maintenance_sub.add_parser("vacuum", help="rebuild the database so no trace of erased rows stays in its "
                               "free space (SQLite: VACUUM, PostgreSQL: plain VACUUM); erasures themselves "
                               "never wait for this")
    audit = sub.add_parser("audit", help="counterfactual fairness audit of the trained model and policies")
    audit.add_argument("--model", default=str(PROJECT_ROOT / "models" / "candor.tar.gz"))
    audit.add_argument("--cases", default=None, help="cases file (default: tests/fairness/cases.yml)")
    sub.add_parser("explain", help="one conversation turn by turn: masked text, intent, "
                   "confidence, guardrail decisions with rule ids, actions, consents").add_argument(
        "--sender", required=True)
    token = sub.add_parser("token", help="print a customer identity token (JWT, sub = sender id) "
                           "for testing, or for shops without a login of their own")
    token.add_argument("--sender", required=True, help="the sender id the token proves")
    token.add_argument("--ttl", type=int, default=86400, help="seconds it is valid (default a day, at most 30 days)")
    fake = sub.add_parser("orders", help="the generated fake orders with the facts their owners "
                          "know (e-mail, delivery postcode), for trying the order questions")
    fake.add_argument("--json", action="store_true", help="one JSON object per line")
    fake.add_argument("--limit", type=int, default=10)
    sub.add_parser("rasa-run", help="`rasa run` with the HTTP API token read from CANDOR_API_TOKEN "
                   "or the data dir (used by `run`; keeps the token off the command line)", add_help=False)
    sub.add_parser("run-actions", help="the action server alone, on CANDOR_BIND, answering only calls "
                   "with the shared secret (used by `run`)", add_help=False)
    if (argv if argv is not None else sys.argv[1:])[:1] == ["rasa-run"]:
        return _rasa_run(list(argv if argv is not None else sys.argv[1:])[1:])
    if (argv if argv is not None else sys.argv[1:])[:1] == ["run-actions"]:
        from bot.action_server import main as run_actions

        return run_actions(list(argv if argv is not None else sys.argv[1:])[1:])
    args = parser.parse_args(argv)
    if args.command == "orders":
        return _orders(args)
    if args.command == "token":
        from bot.identity import issue

        secret_file = settings().jwt_secret()[1]
        try:
            print(issue(args.sender, args.ttl))
        except ValueError as error:
            print(f"Cannot issue that token: {error}.", file=sys.stderr)
            return 2
        if secret_file:
            print(f"(signed with the key in {secret_file}; set CANDOR_JWT_SECRET to use your own)", file=sys.stderr)
        return 0
    if args.command == "explain":
        return _explain(args.sender)
    if args.command == "maintenance":
        import time

        from bot.storage.db import engine, vacuum

        started = time.monotonic()
        vacuum(engine())
        print(f"Database vacuumed in {time.monotonic() - started:.1f} s.")
        return 0
    if args.command == "audit":
        from bot import fairness

        return fairness.main(Path(args.model), Path(args.cases) if args.cases else fairness.CASES_FILE)
    if args.command in ("data", "consent", "retention"):
        return _data_rights(args)
    if args.command == "agent":
        return _agent(args)
    if args.command == "check":
        return _check()
    if args.command == "setup":
        return _setup()
    code = _check()
    if code:
        return code
    if args.command == "run-cluster":
        if not (PROJECT_ROOT / "models" / "candor.tar.gz").is_file():
            print("No trained model: run `make train` first.", file=sys.stderr)
            return 2
        from bot import cluster

        return cluster.run(settings())
    model = Path(args.model)
    if not model.is_file():
        print(f"No trained model at {model}: run `make train` first.", file=sys.stderr)
        return 2
    from bot.runner import run

    _setup()
    return run(settings(), model, shell=args.command == "shell")


if __name__ == "__main__":
    sys.exit(main())
