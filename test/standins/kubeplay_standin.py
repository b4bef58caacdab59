"""STAND-IN support shared by the lab's kubeadm, kubectl and kubelet stand-ins (lab only, never a real cluster).

The real binaries cannot be had in the lab (no pkgs.k8s.io, no registry). These stand-ins keep the contracts the
playbook relies on: what kubeadm accepts and rejects, the files it writes, what a join needs (token, CA pin,
certificate key), and node readiness. They do no authorization and run no container.
"""
import datetime
import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import yaml

HOME = "/opt/kubeplay-standins"
STATE_DIR = "/var/lib/kubeplay-standins"
CALL_LOG = "/var/log/kubeplay-standins/kubeadm-calls.log"
VERSION = open(os.path.join(HOME, "VERSION")).read().strip()
PKI = "/etc/kubernetes/pki"


class Fail(Exception):
    """An error the stand-in reports like the real tool: message on stderr, exit 1."""


def run_main(main):
    try:
        sys.exit(main(sys.argv[1:]) or 0)
    except Fail as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def sh(*args, stdin=None):
    return subprocess.run(args, check=True, capture_output=True, text=True, input=stdin).stdout


def spki_sha256(cert_pem):
    """The CA pin kubeadm prints: sha256 of the DER Subject Public Key Info."""
    pubkey = sh("openssl", "x509", "-pubkey", "-noout", stdin=cert_pem)
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pubkey.encode(), capture_output=True, check=True).stdout
    return "sha256:" + hashlib.sha256(der).hexdigest()


def load_kubeconfig(path):
    with open(path) as f:
        config = yaml.safe_load(f)
    return config["clusters"][0]["cluster"]["server"]


def api(server, method, path, body=None, timeout=10, retry_for=30):
    """A JSON request to a stand-in API server, retried while the server cannot be reached (as kubeadm's client
    retries its API calls). TLS is not verified: these are stand-ins on a private lab."""
    deadline = time.time() + retry_for
    while True:
        try:
            return api_once(server, method, path, body, timeout)
        except Unreachable as error:
            if time.time() >= deadline:
                raise Fail(str(error))
            time.sleep(1)


class Unreachable(Exception):
    pass


def api_once(server, method, path, body, timeout):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server.rstrip("/") + path, data=data, method=method, headers={"Content-Type": "application/json"})
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(req, context=context, timeout=timeout) as res:
            return json.loads(res.read() or b"null")
    except urllib.error.HTTPError as error:
        message = error.read().decode(errors="replace")
        try:
            message = json.loads(message)["message"]
        except (ValueError, KeyError, TypeError):
            pass
        raise Fail(message)
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(f"cannot reach the API server at {server}: {error}")


def record_call(tool, argv, extra=None):
    os.makedirs(os.path.dirname(CALL_LOG), exist_ok=True)
    entry = {"time": now().isoformat(), "host": socket.gethostname(), "tool": tool, "argv": argv, **(extra or {})}
    with open(CALL_LOG, "a") as f:
        f.write(json.dumps(entry) + "\n")


def write_file(path, content, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(content)
    os.chmod(path, mode)
