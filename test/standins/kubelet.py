#!/usr/bin/env python3
"""STAND-IN for the kubelet, for the lab only (see kubeplay_standin.py). Like the real one it fails (and systemd
restarts it) until kubeadm wrote its config; then it checks the cgroup driver and the CRI socket, and reports a
heartbeat to the API server every few seconds. It writes the CNI config the flannel DaemonSet would install, once
the API server has one. It runs no pod."""
import os
import socket
import sys
import time

import yaml

from kubeplay_standin import VERSION, Fail, api, load_kubeconfig, run_main

CONFIG = "/var/lib/kubelet/config.yaml"
KUBECONFIG = "/etc/kubernetes/kubelet.conf"
CNI_CONF = "/etc/cni/net.d/10-flannel.conflist"


def log(message):
    print(message, flush=True)


def main(argv):
    if argv == ["--version"]:
        print(f"Kubernetes v{VERSION}")
        return
    if not os.path.exists(CONFIG):
        raise Fail(f'"command failed" err="failed to load kubelet config file, path: {CONFIG}, error: open {CONFIG}: no such file or directory"')
    with open(CONFIG) as f:
        config = yaml.safe_load(f)
    if config.get("cgroupDriver", "cgroupfs") != "systemd":
        raise Fail(f'"command failed" err="cgroup driver {config.get("cgroupDriver", "cgroupfs")!r} differs from containerd\'s (SystemdCgroup = true): systemd"')
    endpoint = next((a.split("=", 1)[1] for a in argv if a.startswith("--container-runtime-endpoint=")), "unix:///run/containerd/containerd.sock")
    if not os.path.exists(endpoint.replace("unix://", "")):
        raise Fail(f'"command failed" err="validate service connection: dial {endpoint}: no such file or directory"')
    node = socket.gethostname()
    log(f'I kubelet stand-in v{VERSION} starting: node "{node}", cgroupDriver=systemd, CRI {endpoint}')
    ready = None
    while True:
        try:
            answer = api(load_kubeconfig(KUBECONFIG), "POST", "/kubeplay-standin/heartbeat", {"node": node, "cni": os.path.exists(CNI_CONF)}, timeout=5, retry_for=0)
            if answer.get("cniConf") and not os.path.exists(CNI_CONF):
                os.makedirs(os.path.dirname(CNI_CONF), exist_ok=True)
                with open(CNI_CONF, "w") as f:
                    f.write(answer["cniConf"])
                log(f"I CNI config written to {CNI_CONF} (what the flannel DaemonSet's install-cni container does)")
            now_ready = os.path.exists(CNI_CONF)
            if now_ready != ready:
                log('I "Node became ready"' if now_ready else 'E "Container runtime network not ready" err="cni plugin not initialized"')
                ready = now_ready
        except (Fail, OSError) as error:
            log(f'E "Error updating node status, will retry" err="{error}"')
        time.sleep(3)


if __name__ == "__main__":
    run_main(main)
    sys.exit(0)
