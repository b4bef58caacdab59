#!/usr/bin/env python3
"""STAND-IN for kube-apiserver, for the lab only: the real one cannot run here (no images can be pulled).

Answers GET /healthz with "ok" over TLS on the API port, and names the host that answered in the
X-Standin-Host header, so tests can see which master the balancer reached.
With --state DIR (the first master, where the stand-in kubeadm init ran) it also keeps the little cluster state the
other stand-ins need: bootstrap tokens, the uploaded certificates, nodes and their heartbeats, applied objects.
With --origin URL (masters that joined) it forwards those requests to the first master's stand-in.
No authorization, no watch, no real Kubernetes API beyond GET /api/v1/nodes.
Usage: apiserver.py PORT CERT KEY [--state DIR | --origin URL]
"""
import http.server
import json
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request

HEARTBEAT_FRESH = 20
BUILTIN_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}
lock = threading.Lock()
STATE_FILE = None
ORIGIN = None


def load():
    with open(STATE_FILE) as f:
        return json.load(f)


def save(state):
    with open(STATE_FILE + ".tmp", "w") as f:
        json.dump(state, f)
    import os
    os.replace(STATE_FILE + ".tmp", STATE_FILE)


class Refused(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def cluster_info(state, _body):
    return {k: state[k] for k in ("caCert", "clusterConfiguration", "kubeletConfiguration", "origin")}


def put_token(state, body):
    state["tokens"][body["token"]] = body["expires"]
    return {}


def list_tokens(state, _body):
    return [{"token": t, "expires": e} for t, e in state["tokens"].items() if e is None or e > time.time()]


def upload_certs(state, body):
    state["uploadedCerts"] = body
    return {}


def join(state, body):
    expires = state["tokens"].get(body["token"], 0)
    if body["token"] not in state["tokens"] or (expires is not None and expires < time.time()):
        token_id = body["token"].split(".")[0]
        raise Refused(403, f'couldn\'t validate the identity of the API Server: could not find a JWS signature in the cluster-info '
                           f'ConfigMap for token ID "{token_id}" (the token is unknown or has expired)')
    if body["node"] in state["nodes"]:
        raise Refused(409, f'a Node with name "{body["node"]}" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node')
    answer = {"origin": state["origin"]}
    if body["controlPlane"]:
        if not state["clusterConfiguration"].get("controlPlaneEndpoint"):
            raise Refused(400, "unable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address")
        certs = state.get("uploadedCerts")
        if not certs or certs["expires"] < time.time():
            raise Refused(404, 'error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. '
                               "This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one")
        if certs["keySha256"] != body["keySha256"]:
            raise Refused(400, "error downloading certs: error decoding certificate key: cipher: message authentication failed")
        answer["caKey"] = certs["caKey"]
    state["nodes"][body["node"]] = {"controlPlane": body["controlPlane"], "address": body["address"]}
    return answer


def heartbeat(state, body):
    node = state["nodes"].get(body["node"])
    if node is None:
        raise Refused(404, f'nodes "{body["node"]}" not found')
    node.update({"lastHeartbeat": time.time(), "cni": body.get("cni", False)})
    config = state["objects"].get("ConfigMap/kube-flannel/kube-flannel-cfg")
    has_daemonset = any(k.startswith("DaemonSet/") and "flannel" in k for k in state["objects"])
    return {"cniConf": config["data"]["cni-conf.json"] if config and has_daemonset else None}


def nodes(state, _body):
    items = []
    for name, node in sorted(state["nodes"].items()):
        fresh = time.time() - node.get("lastHeartbeat", 0) < HEARTBEAT_FRESH
        ready = fresh and node.get("cni")
        reason = "KubeletReady" if ready else ("NodeStatusUnknown" if not fresh else "KubeletNotReady")
        items.append({"metadata": {"name": name, "labels": {"node-role.kubernetes.io/control-plane": ""} if node["controlPlane"] else {}},
                      "status": {"addresses": [{"type": "InternalIP", "address": node["address"]}],
                                 "conditions": [{"type": "Ready", "status": "True" if ready else ("Unknown" if not fresh else "False"), "reason": reason}]}})
    return {"apiVersion": "v1", "kind": "NodeList", "items": items}


def apply(state, body):
    results = []
    for obj in body["objects"]:
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        if namespace and namespace not in BUILTIN_NAMESPACES and f"Namespace//{namespace}" not in state["objects"]:
            raise Refused(404, f'namespaces "{namespace}" not found')
        key = f"{obj['kind']}/{namespace}/{meta['name']}"
        old = state["objects"].get(key)
        state["objects"][key] = obj
        results.append({"key": key, "result": "created" if old is None else ("unchanged" if old == obj else "configured")})
    return results


def objects(state, _body):
    return state["objects"]


ROUTES = {
    ("GET", "/kubeplay-standin/cluster-info"): (cluster_info, False),
    ("POST", "/kubeplay-standin/tokens"): (put_token, True),
    ("GET", "/kubeplay-standin/tokens"): (list_tokens, False),
    ("POST", "/kubeplay-standin/upload-certs"): (upload_certs, True),
    ("POST", "/kubeplay-standin/join"): (join, True),
    ("POST", "/kubeplay-standin/heartbeat"): (heartbeat, True),
    ("GET", "/api/v1/nodes"): (nodes, False),
    ("POST", "/kubeplay-standin/apply"): (apply, True),
    ("GET", "/kubeplay-standin/objects"): (objects, False),
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith(("/healthz", "/livez", "/readyz")):
            return self.reply(200, b"ok", "text/plain")
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if ORIGIN:
            return self.forward(method, body)
        handler = ROUTES.get((method, self.path.split("?")[0])) if STATE_FILE else None
        if not handler:
            return self.reply(404, b"stand-in: not implemented", "text/plain")
        fn, writes = handler
        try:
            with lock:
                state = load()
                answer = fn(state, json.loads(body or b"null"))
                if writes:
                    save(state)
            self.reply(200, json.dumps(answer).encode())
        except Refused as refused:
            self.reply(refused.status, json.dumps({"message": str(refused)}).encode())

    def forward(self, method, body):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        req = urllib.request.Request(ORIGIN + self.path, data=body if method == "POST" else None, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, context=context, timeout=10) as res:
                self.reply(res.status, res.read())
        except urllib.error.HTTPError as error:
            self.reply(error.code, error.read())
        except OSError as error:
            self.reply(503, json.dumps({"message": f"stand-in: the first master's API server is unreachable: {error}"}).encode())

    def reply(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("X-Standin-Host", socket.gethostname())
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    global STATE_FILE, ORIGIN
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    extra = sys.argv[4:]
    if extra[:1] == ["--state"]:
        STATE_FILE = extra[1] + "/cluster.json"
    elif extra[:1] == ["--origin"]:
        ORIGIN = extra[1].rstrip("/")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    TlsServer(("0.0.0.0", port), Handler, context).serve_forever()


class TlsServer(http.server.ThreadingHTTPServer):
    """TLS handshakes in each request's thread, not in accept(): one slow or silent client (a health check killed
    by its timeout) must not hold up every other connection, as the real API server would not."""

    request_queue_size = 128
    daemon_threads = True

    def __init__(self, address, handler, context):
        self.context = context
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(tls, client_address)


if __name__ == "__main__":
    main()
