"""STAND-IN: the kubeadm v1beta4 config API, decoded strictly as the real kubeadm does.

Field lists follow the v1beta4 reference (k8s.io/kubernetes cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go, 1.34).
Unknown fields in kubeadm's own kinds are errors ("strict decoding error"); in KubeletConfiguration they are
warnings, as kubeadm only warns for component configs.
"""
import ipaddress
import re

import yaml

from kubeplay_standin import Fail

KUBEADM = "kubeadm.k8s.io/v1beta4"
KUBELET = "kubelet.config.k8s.io/v1beta1"
KUBEPROXY = "kubeproxy.config.k8s.io/v1alpha1"
TOKEN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")
DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")

S, B, I, D, ANY = "string", "bool", "int", "duration", "any"
ARG = {"name": S, "value": S}
ENV = {"name": S, "value": S, "valueFrom": ANY}
VOLUME = {"name": S, "hostPath": S, "mountPath": S, "readOnly": B, "pathType": S}
COMPONENT = {"extraArgs": [ARG], "extraVolumes": [VOLUME], "extraEnvs": [ENV]}
ENDPOINT = {"advertiseAddress": S, "bindPort": I}
TAINT = {"key": S, "value": S, "effect": S, "timeAdded": S}
NODE_REGISTRATION = {"name": S, "criSocket": S, "taints": [TAINT], "kubeletExtraArgs": [ARG],
                     "ignorePreflightErrors": [S], "imagePullPolicy": S, "imagePullSerial": B}
TIMEOUTS = {k: D for k in ["controlPlaneComponentHealthCheck", "kubeletHealthCheck", "kubernetesAPICall",
                           "etcdAPICall", "tlsBootstrap", "discovery", "upgradeManifests"]}
IMAGE = {"imageRepository": S, "imageTag": S}

SCHEMAS = {
    "InitConfiguration": {
        "bootstrapTokens": [{"token": S, "description": S, "ttl": D, "expires": S, "usages": [S], "groups": [S]}],
        "dryRun": B, "nodeRegistration": NODE_REGISTRATION, "localAPIEndpoint": ENDPOINT, "certificateKey": S,
        "skipPhases": [S], "patches": {"directory": S}, "timeouts": TIMEOUTS,
    },
    "ClusterConfiguration": {
        "etcd": {
            "local": {**IMAGE, "dataDir": S, "extraArgs": [ARG], "extraEnvs": [ENV], "serverCertSANs": [S], "peerCertSANs": [S]},
            "external": {"endpoints": [S], "caFile": S, "certFile": S, "keyFile": S},
        },
        "networking": {"serviceSubnet": S, "podSubnet": S, "dnsDomain": S},
        "kubernetesVersion": S, "controlPlaneEndpoint": S,
        "apiServer": {**COMPONENT, "certSANs": [S]},
        "controllerManager": COMPONENT, "scheduler": COMPONENT,
        "dns": {**IMAGE, "disabled": B}, "proxy": {"disabled": B},
        "certificatesDir": S, "imageRepository": S, "featureGates": {"*": B}, "clusterName": S,
        "encryptionAlgorithm": S, "certificateValidityPeriod": D, "caCertificateValidityPeriod": D,
    },
    "JoinConfiguration": {
        "dryRun": B, "nodeRegistration": NODE_REGISTRATION, "caCertPath": S,
        "discovery": {
            "bootstrapToken": {"token": S, "apiServerEndpoint": S, "caCertHashes": [S], "unsafeSkipCAVerification": B},
            "file": {"kubeConfigPath": S}, "tlsBootstrapToken": S,
        },
        "controlPlane": {"localAPIEndpoint": ENDPOINT, "certificateKey": S},
        "skipPhases": [S], "patches": {"directory": S}, "timeouts": TIMEOUTS,
    },
}
# The KubeletConfiguration fields a kubeadm cluster commonly sets (not all of its ~100): others only warn.
KUBELET_FIELDS = {
    "cgroupDriver", "containerRuntimeEndpoint", "clusterDNS", "clusterDomain", "authentication", "authorization",
    "rotateCertificates", "serverTLSBootstrap", "staticPodPath", "failSwapOn", "memorySwap", "maxPods", "podCIDR",
    "resolvConf", "runtimeRequestTimeout", "evictionHard", "systemReserved", "kubeReserved", "featureGates",
    "healthzBindAddress", "healthzPort", "cpuManagerPolicy", "logging", "shutdownGracePeriod", "tlsMinVersion",
}
ENCRYPTION = {"RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"}


def load(path):
    """The documents of a kubeadm config file by kind; unknown apiVersion or kind and unknown fields fail."""
    try:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except (OSError, yaml.YAMLError) as error:
        raise Fail(f"unable to read config from {path!r}: {error}")
    found, warnings = {}, []
    for doc in docs:
        if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
            raise Fail(f"{path}: every document needs apiVersion and kind")
        gv, kind = doc["apiVersion"], doc["kind"]
        rest = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind")}
        if gv == KUBEADM and kind in SCHEMAS:
            problems = check(rest, SCHEMAS[kind], "")
            if problems:
                raise Fail(f"{kind} {gv}: strict decoding error: " + ", ".join(problems))
        elif gv == KUBELET and kind == "KubeletConfiguration":
            warnings += [f'unknown field "{k}"' for k in rest if k not in KUBELET_FIELDS]
        elif gv == KUBEPROXY and kind == "KubeProxyConfiguration":
            pass
        elif gv == "kubeadm.k8s.io/v1beta3":
            raise Fail(f"{path}: the stand-in implements {KUBEADM} only (the real kubeadm 1.34 still reads v1beta3, deprecated)")
        else:
            raise Fail(f'no kind "{kind}" is registered for version "{gv}"')
        if kind in found:
            raise Fail(f"{path}: more than one {kind}")
        found[kind] = doc
    for w in warnings:
        print(f"[config] WARNING: KubeletConfiguration: strict decoding error: {w}")
    return found


def check(value, schema, path):
    """Problems of value against schema, with the field paths the real decoder names."""
    if schema == ANY:
        return []
    if isinstance(schema, list):
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        return [p for i, item in enumerate(value) for p in check(item, schema[0], f"{path}[{i}]")]
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        if "*" in schema:
            return [p for k, v in value.items() for p in check(v, schema["*"], f"{path}.{k}")]
        problems = [f'unknown field "{(path + "." + k).lstrip(".")}"' for k in value if k not in schema]
        return problems + [p for k, v in value.items() if k in schema for p in check(v, schema[k], f"{path}.{k}".lstrip("."))]
    ok = {S: isinstance(value, str), B: isinstance(value, bool), I: isinstance(value, int) and not isinstance(value, bool),
          D: isinstance(value, str) and bool(DURATION.match(value))}[schema]
    return [] if ok else [f"{path}: expected {schema}, got {value!r}"]


def validate_cluster(cluster):
    """The semantic checks of kubeadm's ValidateClusterConfiguration that matter here."""
    net = cluster.get("networking", {})
    for field in ("podSubnet", "serviceSubnet"):
        if field in net:
            try:
                ipaddress.ip_network(net[field])
            except ValueError:
                raise Fail(f'networking.{field}: Invalid value: "{net[field]}": couldn\'t parse subnet')
    endpoint = cluster.get("controlPlaneEndpoint")
    if endpoint and not re.match(r"^[A-Za-z0-9.-]+(:\d{1,5})?$", endpoint):
        raise Fail(f'controlPlaneEndpoint: Invalid value: "{endpoint}"')
    etcd = cluster.get("etcd", {})
    if "local" in etcd and "external" in etcd:
        raise Fail("etcd: Invalid value: local and external etcd are mutually exclusive")
    external = etcd.get("external")
    if external:
        if not external.get("endpoints"):
            raise Fail("etcd.external.endpoints: Required value")
        for ep in external["endpoints"]:
            if not re.match(r"^https?://[^/]+$", ep):
                raise Fail(f'etcd.external.endpoints: Invalid value: "{ep}": URL parse error')
        for f in ("caFile", "certFile", "keyFile"):
            if external.get(f) and not external[f].startswith("/"):
                raise Fail(f'etcd.external.{f}: Invalid value: "{external[f]}": path is not absolute')
    if cluster.get("encryptionAlgorithm", "RSA-2048") not in ENCRYPTION:
        raise Fail(f'encryptionAlgorithm: Unsupported value: "{cluster["encryptionAlgorithm"]}"')


def validate_token(token, field):
    if not TOKEN.match(token or ""):
        raise Fail(f'{field}: Invalid value: "{token}": the bootstrap token is not of the form "^([a-z0-9]{{6}})\\.([a-z0-9]{{16}})$"')


def validate_certificate_key(key, field):
    if not re.match(r"^[0-9a-f]{64}$", key or ""):
        raise Fail(f"{field}: the certificate key must be a hex encoded AES key of size 32 bytes")


def validate_node_registration(reg, field):
    socket = reg.get("criSocket")
    if socket and not socket.startswith("unix://"):
        print(f'[config] WARNING: {field}.criSocket: usage of CRI endpoints without URL scheme is deprecated: "{socket}"')
