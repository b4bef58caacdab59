#!/usr/bin/env python3
"""STAND-IN for kubectl, for the lab only (see kubeplay_standin.py): version --client, apply -f, diff -f, get nodes."""
import json
import os
import sys

import yaml

from kubeplay_standin import VERSION, Fail, api, load_kubeconfig, run_main


def parse(argv):
    """Global --kubeconfig, then the command words and its -f / -o flags."""
    opts, words, i = {"kubeconfig": os.environ.get("KUBECONFIG", os.path.expanduser("~/.kube/config"))}, [], 0
    while i < len(argv):
        arg = argv[i]
        name, _, inline = arg.partition("=")
        if name in ("--kubeconfig", "-f", "--filename", "-o", "--output"):
            key = {"--filename": "-f", "--output": "-o"}.get(name, name).lstrip("-")
            if not inline:
                i += 1
                inline = argv[i]
            opts[key] = inline
        elif arg == "--client":
            opts["client"] = True
        elif arg.startswith("-"):
            raise Fail(f"the kubectl stand-in does not implement the flag {arg}")
        else:
            words.append(arg)
        i += 1
    return opts, words


def manifest(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for d in docs:
        if not all(k in d for k in ("apiVersion", "kind", "metadata")) or "name" not in d["metadata"]:
            raise Fail(f"error validating \"{path}\": every object needs apiVersion, kind and metadata.name")
    return docs


def key_of(obj):
    return f"{obj['kind']}/{obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"


def main(argv):
    opts, words = parse(argv)
    if words == ["version"]:
        print(f"Client Version: v{VERSION}\nKustomize Version: v5.7.1")
        return 0
    if not os.path.exists(opts["kubeconfig"]):
        raise Fail(f"stat {opts['kubeconfig']}: no such file or directory")
    server = load_kubeconfig(opts["kubeconfig"])
    if words == ["apply"]:
        for r in api(server, "POST", "/kubeplay-standin/apply", {"objects": manifest(opts["f"])}):
            kind, _, name = r["key"].split("/")
            print(f"{kind.lower()}/{name} {r['result']}")
        return 0
    if words == ["diff"]:
        live = api(server, "GET", "/kubeplay-standin/objects")
        differs = [key_of(o) for o in manifest(opts["f"]) if live.get(key_of(o)) != o]
        for k in differs:
            print(f"diff -u -N /tmp/LIVE/{k.replace('/', '.')} /tmp/MERGED/{k.replace('/', '.')}")
        return 1 if differs else 0
    if words in (["get", "nodes"], ["get", "node"]):
        nodes = api(server, "GET", "/api/v1/nodes")
        if opts.get("o") == "json":
            print(json.dumps(nodes, indent=2))
            return 0
        print("NAME             STATUS     ROLES           VERSION")
        for n in nodes["items"]:
            ready = next(c for c in n["status"]["conditions"] if c["type"] == "Ready")["status"] == "True"
            role = "control-plane" if "node-role.kubernetes.io/control-plane" in n["metadata"]["labels"] else "<none>"
            print(f"{n['metadata']['name']:<16} {'Ready' if ready else 'NotReady':<10} {role:<15} v{VERSION}")
        return 0
    raise Fail(f"the kubectl stand-in does not implement `kubectl {' '.join(words)}`")


if __name__ == "__main__":
    run_main(lambda argv: sys.exit(main(argv)))
