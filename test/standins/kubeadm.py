#!/usr/bin/env python3
"""STAND-IN for kubeadm, for the lab only (see kubeplay_standin.py). Strict like the real one about its input;
writes the files the real one writes (pki, kubeconfigs, static pod manifests, the kubelet's config); runs the
stand-in API server where the real one would start kube-apiserver as a static pod. Every call is recorded in
/var/log/kubeplay-standins/kubeadm-calls.log (argv and config kinds only: no secret).

Implemented: version, config validate, init, init phase upload-certs, join, token create|list, reset.
"""
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time

import yaml

import kubeadm_config as cfg
import pki
from kubeplay_standin import (HOME, PKI, STATE_DIR, VERSION, Fail, api, load_kubeconfig, now, record_call,
                              run_main, sh, spki_sha256, write_file)

V, B = "value", "bool"
COMMON = {"v": V, "log-file": V, "rootfs": V, "help": B}
ALLOWED_WITH_CONFIG = {"config", "ignore-preflight-errors", "dry-run", "kubeconfig", "node-name", "kubeconfig-dir",
                       "upload-certs", "print-join-command", "rootfs", "v", "log-file"}
APISERVER_UNIT = "kubeplay-standin-kube-apiserver"
CERTS_TTL = 2 * 3600
KUBELET_DIR = "/var/lib/kubelet"


def parse_flags(argv, known, command):
    """--flag value / --flag=value / -f; unknown flags fail like cobra; --config mixed with others fails like kubeadm."""
    flags, positional, i = {}, [], 0
    known = {**known, **COMMON}
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("-") and arg != "-":
            name, _, inline = arg.lstrip("-").partition("=")
            name = {"f": "force"}.get(name, name) if not arg.startswith("--") else name
            if name not in known:
                raise Fail(f"unknown flag: {arg.split('=')[0]}\nTo see the stack trace of this error execute with --v=5 or higher")
            if known[name] == B:
                flags[name] = inline != "false"
            elif inline or "=" in arg:
                flags[name] = inline
            else:
                if i + 1 >= len(argv):
                    raise Fail(f"flag needs an argument: --{name}")
                i += 1
                flags[name] = argv[i]
        else:
            positional.append(arg)
        i += 1
    if "config" in flags:
        mixed = sorted(f for f in flags if f not in ALLOWED_WITH_CONFIG and not f.startswith("skip-"))
        if mixed:
            raise Fail(f"can not mix '--config' with arguments [{' '.join(mixed)}]")
    elif command in ("init", "join", "config validate"):
        raise Fail(f"this stand-in supports `kubeadm {command}` with --config only")
    return flags, positional


# ---- preflight ------------------------------------------------------------------------------------------------

def preflight(checks, ignored):
    ignored = {i.lower() for i in ignored}
    errors = [f"\t[ERROR {name}]: {message}" for name, message in checks if name.lower() not in ignored and "all" not in ignored]
    if errors:
        raise Fail("[preflight] Some fatal errors occurred:\n" + "\n".join(errors) +
                   "\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`")


def common_checks(cri_socket):
    checks = []
    if open("/proc/swaps").read().strip().count("\n") > 0:
        checks.append(("Swap", "running with swap on is not supported. Please disable swap"))
    if open("/proc/sys/net/ipv4/ip_forward").read().strip() != "1":
        checks.append(("FileContent--proc-sys-net-ipv4-ip_forward", "/proc/sys/net/ipv4/ip_forward contents are not set to 1"))
    socket_path = cri_socket.replace("unix://", "")
    if not os.path.exists(socket_path):
        checks.append(("CRI", f"container runtime is not running: validate service connection: dial unix {socket_path}: connect: no such file or directory"))
    if not shutil.which("kubelet"):
        checks.append(("FileExisting-kubelet", "kubelet not found in system path"))
    return checks


def port_in_use(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def file_absent_checks(paths):
    return [(f"FileAvailable-{p.replace('/', '-')}", f"{p} already exists") for p in paths if os.path.exists(p)]


def etcd_checks(external):
    checks = []
    for field in ("caFile", "certFile", "keyFile"):
        if external.get(field) and not os.path.exists(external[field]):
            checks.append(("ExternalEtcdClientCertificates", f"{external[field]} doesn't exist"))
    if checks:
        return checks
    for endpoint in external["endpoints"]:
        result = subprocess.run(["curl", "-sf", "--max-time", "5", "--cacert", external["caFile"], "--cert", external["certFile"],
                                 "--key", external["keyFile"], f"{endpoint}/health"], capture_output=True, text=True)
        if result.returncode != 0 or '"health":"true"' not in result.stdout.replace(" ", ""):
            checks.append(("ExternalEtcdVersion", f"{endpoint}/health: not healthy ({result.stdout.strip() or result.stderr.strip()})"))
    return checks


# ---- what init and join write ---------------------------------------------------------------------------------

def cluster_defaults(cluster):
    c = json.loads(json.dumps(cluster))
    c.setdefault("kubernetesVersion", f"v{VERSION}")
    c.setdefault("clusterName", "kubernetes")
    c.setdefault("networking", {}).setdefault("serviceSubnet", "10.96.0.0/12")
    c["networking"].setdefault("dnsDomain", "cluster.local")
    c.setdefault("etcd", {"local": {"dataDir": "/var/lib/etcd"}})
    return c


def write_kubelet_files(kubelet_config, cri_socket, node_ip=None):
    config = {"apiVersion": cfg.KUBELET, "kind": "KubeletConfiguration", "staticPodPath": "/etc/kubernetes/manifests", **kubelet_config}
    write_file(f"{KUBELET_DIR}/config.yaml", yaml.safe_dump(config))
    args = f"--container-runtime-endpoint={cri_socket}" + (f" --node-ip={node_ip}" if node_ip else "")
    write_file(f"{KUBELET_DIR}/kubeadm-flags.env", f'KUBELET_KUBEADM_ARGS="{args}"\n')
    subprocess.run(["systemctl", "restart", "kubelet"], check=True)


def write_manifests(components, etcd_servers):
    for name in components:
        command = [name, "--stand-in"] + ([f"--etcd-servers={etcd_servers}"] if name == "kube-apiserver" else [])
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "kube-system",
               "annotations": {"kubeplay.dev/stand-in": "the lab runs no control-plane container"}},
               "spec": {"hostNetwork": True, "containers": [{"name": name, "image": f"registry.k8s.io/{name}:v{VERSION}", "command": command}]}}
        write_file(f"/etc/kubernetes/manifests/{name}.yaml", yaml.safe_dump(pod), 0o600)


def start_apiserver(port, mode_args):
    """Runs the stand-in API server as a service: it comes back after a reboot, as the static pod would."""
    unit = f"""[Unit]
Description=STAND-IN kube-apiserver (kubeplay lab)
After=network-online.target
[Service]
ExecStart=/usr/bin/python3 {HOME}/apiserver.py {port} {PKI}/apiserver.crt {PKI}/apiserver.key {' '.join(mode_args)}
Restart=always
[Install]
WantedBy=multi-user.target
"""
    write_file(f"/etc/systemd/system/{APISERVER_UNIT}.service", unit)
    sh("systemctl", "daemon-reload")
    sh("systemctl", "enable", "--now", APISERVER_UNIT)
    sh("systemctl", "restart", APISERVER_UNIT)
    for _ in range(100):
        if port_in_use(port):
            return
        time.sleep(0.1)
    raise Fail(f"[control-plane-check] kube-apiserver is not healthy after 10s: nothing listens on {port}")


def advertise_address(endpoint_cfg):
    return endpoint_cfg.get("advertiseAddress") or sh("hostname", "-I").split()[0]


# ---- commands -------------------------------------------------------------------------------------------------

INIT_FLAGS = {n: V for n in ["config", "certificate-key", "token", "token-ttl", "pod-network-cidr", "service-cidr",
                             "control-plane-endpoint", "apiserver-advertise-address", "apiserver-bind-port",
                             "apiserver-cert-extra-sans", "cri-socket", "kubernetes-version", "node-name",
                             "ignore-preflight-errors", "skip-phases", "patches", "feature-gates", "image-repository",
                             "service-dns-domain", "cert-dir"]}
INIT_FLAGS.update({"upload-certs": B, "skip-token-print": B, "skip-certificate-key-print": B, "dry-run": B})


def init(argv):
    flags, _ = parse_flags(argv, INIT_FLAGS, "init")
    docs = cfg.load(flags["config"])
    init_cfg = docs.get("InitConfiguration", {})
    cluster = cluster_defaults(docs.get("ClusterConfiguration", {}))
    cfg.validate_cluster(cluster)
    reg = init_cfg.get("nodeRegistration", {})
    cfg.validate_node_registration(reg, "nodeRegistration")
    tokens = init_cfg.get("bootstrapTokens") or [{"token": new_token()}]
    for i, t in enumerate(tokens):
        cfg.validate_token(t.get("token"), f"bootstrapTokens[{i}].token")
    key = init_cfg.get("certificateKey") or secrets.token_hex(32)
    cfg.validate_certificate_key(key, "certificateKey")
    cri = reg.get("criSocket", "unix:///run/containerd/containerd.sock")
    port = init_cfg.get("localAPIEndpoint", {}).get("bindPort", 6443)
    external = cluster["etcd"].get("external")

    checks = common_checks(cri) + file_absent_checks([f"/etc/kubernetes/manifests/{c}.yaml" for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")])
    if port_in_use(port):
        checks.append((f"Port-{port}", f"Port {port} is in use"))
    if external:
        checks += etcd_checks(external)
    preflight(checks, reg.get("ignorePreflightErrors", []) + flags.get("ignore-preflight-errors", "").split(","))

    name = reg.get("name") or socket.gethostname()
    address = advertise_address(init_cfg.get("localAPIEndpoint", {}))
    endpoint = cluster.get("controlPlaneEndpoint") or f"{address}:{port}"
    print(f"[init] Using Kubernetes version: {cluster['kubernetesVersion']}")
    pki.create_ca(PKI, "ca", "kubernetes")
    pki.create_ca(PKI, "front-proxy-ca", "front-proxy-ca")
    pki.create_apiserver_cert(PKI, name, address, endpoint, cluster)
    pki.create_service_account_keys(PKI)
    if not external:
        pki.create_ca(f"{PKI}/etcd", "ca", "etcd-ca")
    pki.write_kubeconfigs(PKI, name, endpoint, f"{address}:{port}")
    etcd_servers = ",".join(external["endpoints"]) if external else "https://127.0.0.1:2379"
    write_manifests(["kube-apiserver", "kube-controller-manager", "kube-scheduler"] + ([] if external else ["etcd"]), etcd_servers)

    kubelet = docs.get("KubeletConfiguration", {})
    kubelet = {k: v for k, v in kubelet.items() if k not in ("apiVersion", "kind")}
    state = {
        "origin": f"https://{address}:{port}",
        "clusterConfiguration": cluster,
        "kubeletConfiguration": kubelet,
        "caCert": open(f"{PKI}/ca.crt").read(),
        "tokens": {t["token"]: expiry(t.get("ttl", "24h0m0s")) for t in tokens},
        "uploadedCerts": None,
        "nodes": {name: {"controlPlane": True, "address": address}},
        "objects": {},
    }
    if flags.get("upload-certs"):
        state["uploadedCerts"] = uploaded_certs(key)
    os.makedirs(STATE_DIR, exist_ok=True)
    write_file(f"{STATE_DIR}/cluster.json", json.dumps(state), 0o600)
    write_kubelet_files(kubelet, cri, address)
    start_apiserver(port, ["--state", STATE_DIR])
    # kubeadm goes on through admin.conf, i.e. the control-plane endpoint: wait until it answers.
    api(f"https://{endpoint}", "GET", "/kubeplay-standin/cluster-info", retry_for=120)
    RECORD.update({"kinds": sorted(docs), "uploadCerts": bool(flags.get("upload-certs"))})

    pin = spki_sha256(state["caCert"])
    print("\nYour Kubernetes control-plane has initialized successfully!\n")
    print("To start using your cluster, you need to run the following as a regular user:\n\n  mkdir -p $HOME/.kube\n"
          "  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config\n  sudo chown $(id -u):$(id -g) $HOME/.kube/config\n")
    print("You should now deploy a pod network to the cluster.\n")
    join = f"kubeadm join {endpoint} --token {tokens[0]['token']} \\\n\t--discovery-token-ca-cert-hash {pin}"
    if flags.get("upload-certs") and not flags.get("skip-certificate-key-print"):
        print(f"[upload-certs] Using certificate key:\n{key}\n")
        print(f"You can now join any number of control-plane nodes running the following command on each as root:\n\n"
              f"  {join} \\\n\t--control-plane --certificate-key {key}\n")
    if not flags.get("skip-token-print"):
        print(f"Then you can join any number of worker nodes by running the following on each as root:\n\n{join}")


def uploaded_certs(key):
    """What `kubeadm-certs` holds: the CA keys, usable with the certificate key, for two hours."""
    import hashlib
    return {"keySha256": hashlib.sha256(key.encode()).hexdigest(), "caKey": open(f"{PKI}/ca.key").read(), "expires": time.time() + CERTS_TTL}


def expiry(ttl):
    seconds = 0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(h|m|s)", ttl):
        seconds += float(amount) * {"h": 3600, "m": 60, "s": 1}[unit]
    return time.time() + seconds if seconds else None


def new_token():
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    pick = lambda n: "".join(secrets.choice(alphabet) for _ in range(n))  # noqa: E731
    return f"{pick(6)}.{pick(16)}"


JOIN_FLAGS = {n: V for n in ["config", "certificate-key", "token", "discovery-token", "discovery-token-ca-cert-hash",
                             "tls-bootstrap-token", "discovery-file", "node-name", "cri-socket", "apiserver-advertise-address",
                             "apiserver-bind-port", "ignore-preflight-errors", "skip-phases", "patches"]}
JOIN_FLAGS.update({"control-plane": B, "discovery-token-unsafe-skip-ca-verification": B, "dry-run": B})


def join(argv):
    import hashlib
    flags, _ = parse_flags(argv, JOIN_FLAGS, "join")
    docs = cfg.load(flags["config"])
    if "JoinConfiguration" not in docs:
        raise Fail(f"{flags['config']}: no JoinConfiguration found")
    jc = docs["JoinConfiguration"]
    reg = jc.get("nodeRegistration", {})
    cfg.validate_node_registration(reg, "nodeRegistration")
    discovery = jc.get("discovery", {}).get("bootstrapToken")
    if not discovery:
        raise Fail("discovery.bootstrapToken: Invalid value: bootstrapToken or file must be set (this stand-in implements bootstrapToken)")
    cfg.validate_token(discovery.get("token"), "discovery.bootstrapToken.token")
    if not discovery.get("apiServerEndpoint"):
        raise Fail("discovery.bootstrapToken.apiServerEndpoint: Required value")
    if not discovery.get("caCertHashes") and not discovery.get("unsafeSkipCAVerification"):
        raise Fail("discovery.bootstrapToken.caCertHashes: Invalid value: []: using token-based discovery without caCertHashes "
                   "can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass "
                   "--discovery-token-unsafe-skip-ca-verification flag to continue")
    control_plane = jc.get("controlPlane")
    if control_plane is not None:
        cfg.validate_certificate_key(control_plane.get("certificateKey"), "controlPlane.certificateKey")
    cri = reg.get("criSocket", "unix:///run/containerd/containerd.sock")
    checks = common_checks(cri) + file_absent_checks(["/etc/kubernetes/kubelet.conf", f"{PKI}/ca.crt"])
    port = (control_plane or {}).get("localAPIEndpoint", {}).get("bindPort", 6443)
    if control_plane is not None and port_in_use(port):
        checks.append((f"Port-{port}", f"Port {port} is in use"))
    preflight(checks, reg.get("ignorePreflightErrors", []) + flags.get("ignore-preflight-errors", "").split(","))

    endpoint = f"https://{discovery['apiServerEndpoint']}"
    info = api(endpoint, "GET", "/kubeplay-standin/cluster-info")
    pin = spki_sha256(info["caCert"])
    if discovery.get("caCertHashes") and pin not in discovery["caCertHashes"]:
        raise Fail(f"couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: "
                   f'none of the public keys "{pin}" are pinned')
    name = reg.get("name") or socket.gethostname()
    address = advertise_address((control_plane or {}).get("localAPIEndpoint", {}))
    answer = api(endpoint, "POST", "/kubeplay-standin/join", {
        "token": discovery["token"], "node": name, "address": address, "controlPlane": control_plane is not None,
        "keySha256": hashlib.sha256(control_plane["certificateKey"].encode()).hexdigest() if control_plane else None,
    })
    cluster = info["clusterConfiguration"]
    server = cluster.get("controlPlaneEndpoint") or discovery["apiServerEndpoint"]
    write_file(f"{PKI}/ca.crt", info["caCert"])
    pki.write_kubelet_kubeconfig(PKI, name, server)
    if control_plane is not None:
        write_file(f"{PKI}/ca.key", answer["caKey"], 0o600)
        pki.create_apiserver_cert(PKI, name, address, server, cluster)
        pki.write_kubeconfigs(PKI, name, server, f"{address}:{port}", kubelet=False)
        external = cluster.get("etcd", {}).get("external")
        write_manifests(["kube-apiserver", "kube-controller-manager", "kube-scheduler"] + ([] if external else ["etcd"]),
                        ",".join(external["endpoints"]) if external else "https://127.0.0.1:2379")
        start_apiserver(port, ["--origin", answer["origin"]])
    write_kubelet_files(info["kubeletConfiguration"], cri, address)
    RECORD.update({"kinds": sorted(docs), "controlPlane": control_plane is not None})
    if control_plane is not None:
        print("\nThis node has joined the cluster and a new control plane instance was created")
    else:
        print("\nThis node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.")
    print("\nRun 'kubectl get nodes' on the control-plane to see this node join the cluster.")


def admin_server(flags):
    path = flags.get("kubeconfig", "/etc/kubernetes/admin.conf")
    if not os.path.exists(path):
        raise Fail(f'failed to load admin kubeconfig: open {path}: no such file or directory')
    return load_kubeconfig(path)


def token(argv):
    if not argv or argv[0] not in ("create", "list"):
        raise Fail("this stand-in implements `kubeadm token create` and `kubeadm token list`")
    flags, positional = parse_flags(argv[1:], {"config": V, "ttl": V, "print-join-command": B, "description": V,
                                               "groups": V, "usages": V, "kubeconfig": V, "dry-run": B}, "token")
    server = admin_server(flags)
    if argv[0] == "list":
        print("TOKEN                     TTL         EXPIRES")
        for t in api(server, "GET", "/kubeplay-standin/tokens"):
            left = "<forever>" if t["expires"] is None else f"{max(0, int(t['expires'] - time.time())) // 3600}h"
            print(f"{t['token']}   {left}")
        return
    wanted = {"token": positional[0] if positional else None, "ttl": flags.get("ttl", "24h0m0s")}
    if "config" in flags:
        bootstrap = (cfg.load(flags["config"]).get("InitConfiguration", {}).get("bootstrapTokens") or [{}])[0]
        wanted = {"token": wanted["token"] or bootstrap.get("token"), "ttl": bootstrap.get("ttl", "24h0m0s")}
    wanted["token"] = wanted["token"] or new_token()
    cfg.validate_token(wanted["token"], "token")
    api(server, "POST", "/kubeplay-standin/tokens", {"token": wanted["token"], "expires": expiry(wanted["ttl"])})
    if flags.get("print-join-command"):
        info = api(server, "GET", "/kubeplay-standin/cluster-info")
        endpoint = info["clusterConfiguration"].get("controlPlaneEndpoint")
        print(f"kubeadm join {endpoint} --token {wanted['token']} --discovery-token-ca-cert-hash {spki_sha256(info['caCert'])}")
    else:
        print(wanted["token"])


def init_phase(argv):
    if argv[:1] != ["upload-certs"]:
        raise Fail("this stand-in implements `kubeadm init phase upload-certs` only")
    flags, _ = parse_flags(argv[1:], {"config": V, "upload-certs": B, "certificate-key": V, "skip-certificate-key-print": B,
                                      "kubeconfig": V}, "init phase upload-certs")
    if not flags.get("upload-certs"):
        print("[upload-certs] Skipping phase. Please see --upload-certs")
        return
    key = flags.get("certificate-key")
    if "config" in flags:
        key = cfg.load(flags["config"]).get("InitConfiguration", {}).get("certificateKey")
    key = key or secrets.token_hex(32)
    cfg.validate_certificate_key(key, "certificateKey")
    server = admin_server(flags)
    api(server, "POST", "/kubeplay-standin/upload-certs", uploaded_certs(key))
    print('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace')
    if not flags.get("skip-certificate-key-print"):
        print(f"[upload-certs] Using certificate key:\n{key}")


def reset(argv):
    flags, _ = parse_flags(argv, {"force": B, "cri-socket": V, "cleanup-tmp-dir": B, "cert-dir": V, "ignore-preflight-errors": V,
                                  "kubeconfig": V, "skip-phases": V, "dry-run": B, "config": V}, "reset")
    if not flags.get("force"):
        print("[reset] Are you sure you want to proceed? [y/N]: ", end="", flush=True)
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            raise Fail("aborted reset operation")
    subprocess.run(["systemctl", "disable", "--now", APISERVER_UNIT], capture_output=True)
    subprocess.run(["systemctl", "stop", "kubelet"], capture_output=True)
    stacked = os.path.exists("/etc/kubernetes/manifests/etcd.yaml")
    for path in ["/etc/kubernetes/manifests", PKI, "/etc/kubernetes/tmp", STATE_DIR, f"/etc/systemd/system/{APISERVER_UNIT}.service"]:
        shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else (os.path.exists(path) and os.remove(path))
    for conf in ("admin.conf", "super-admin.conf", "kubelet.conf", "bootstrap-kubelet.conf", "controller-manager.conf", "scheduler.conf"):
        if os.path.exists(f"/etc/kubernetes/{conf}"):
            os.remove(f"/etc/kubernetes/{conf}")
    for entry in os.listdir(KUBELET_DIR) if os.path.isdir(KUBELET_DIR) else []:
        path = os.path.join(KUBELET_DIR, entry)
        shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
    if stacked and os.path.isdir("/var/lib/etcd"):
        for entry in os.listdir("/var/lib/etcd"):
            shutil.rmtree(os.path.join("/var/lib/etcd", entry), ignore_errors=True)
    os.makedirs("/etc/kubernetes/manifests", exist_ok=True)
    print("[reset] Deleting contents of the etcd data directory: /var/lib/etcd" if stacked else "[reset] No etcd config found. Assuming external etcd")
    print("\nThe reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d\n\n"
          "The reset process does not reset or clean up iptables rules or IPVS tables.")


def config(argv):
    if argv[:1] != ["validate"]:
        raise Fail("this stand-in implements `kubeadm config validate` only")
    flags, _ = parse_flags(argv[1:], {"config": V, "allow-experimental-api": B}, "config validate")
    docs = cfg.load(flags["config"])
    if "ClusterConfiguration" in docs:
        cfg.validate_cluster(docs["ClusterConfiguration"])
    for i, t in enumerate(docs.get("InitConfiguration", {}).get("bootstrapTokens") or []):
        cfg.validate_token(t.get("token"), f"bootstrapTokens[{i}].token")
    key = docs.get("InitConfiguration", {}).get("certificateKey") or (docs.get("JoinConfiguration", {}).get("controlPlane") or {}).get("certificateKey")
    if key:
        cfg.validate_certificate_key(key, "certificateKey")
    print("ok")


def version(argv):
    print(f"v{VERSION}" if "short" in " ".join(argv) else f'kubeadm version: &version.Info{{GitVersion:"v{VERSION}", stand-in:"kubeplay lab"}}')


COMMANDS = {"init": init, "join": join, "token": token, "reset": reset, "config": config, "version": version}
# What a call adds to its record in the call log: never a secret.
RECORD = {}


def dispatch(argv):
    if argv[:2] == ["init", "phase"]:
        return init_phase(argv[2:])
    if not argv or argv[0] not in COMMANDS:
        raise Fail(f"unknown command {argv[0] if argv else ''!r} for the kubeadm stand-in (implements: {', '.join(COMMANDS)})")
    return COMMANDS[argv[0]](argv[1:])


def main(argv):
    started = time.time()
    try:
        dispatch(argv)
    except Fail as error:
        if argv[:1] != ["version"]:
            record_call("kubeadm", argv, {**RECORD, "started": started, "ended": time.time(), "ok": False, "error": str(error)})
        raise
    if argv[:1] != ["version"]:
        record_call("kubeadm", argv, {**RECORD, "started": started, "ended": time.time(), "ok": True})


if __name__ == "__main__":
    run_main(main)
