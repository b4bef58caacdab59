"""STAND-IN: the certificates and kubeconfigs kubeadm writes, made with openssl (real ones, but by a stand-in)."""
import base64
import ipaddress
import os
import subprocess
import tempfile

import yaml

from kubeplay_standin import write_file


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def create_ca(directory, name, cn):
    os.makedirs(directory, exist_ok=True)
    key, crt = f"{directory}/{name}.key", f"{directory}/{name}.crt"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", f"/CN={cn}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
            "-keyout", key, "-out", crt)
    os.chmod(key, 0o600)


def sign(directory, name, subject, ca="ca", sans=None, usage="serverAuth"):
    key, csr, crt = f"{directory}/{name}.key", f"{directory}/{name}.csr", f"{directory}/{name}.crt"
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", key, "-out", csr)
    with tempfile.NamedTemporaryFile("w", suffix=".ext") as ext:
        ext.write(f"extendedKeyUsage={usage}\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
        if sans:
            ext.write("subjectAltName=" + ",".join(sans) + "\n")
        ext.flush()
        openssl("x509", "-req", "-in", csr, "-CA", f"{directory}/{ca}.crt", "-CAkey", f"{directory}/{ca}.key",
                "-CAcreateserial", "-days", "365", "-extfile", ext.name, "-out", crt)
    os.remove(csr)
    os.chmod(key, 0o600)
    return crt, key


def create_apiserver_cert(directory, node, address, endpoint, cluster):
    service_ip = next(ipaddress.ip_network(cluster["networking"]["serviceSubnet"]).hosts())
    domain = cluster["networking"].get("dnsDomain", "cluster.local")
    names = ["kubernetes", "kubernetes.default", "kubernetes.default.svc", f"kubernetes.default.svc.{domain}", node,
             str(service_ip), address, endpoint.rsplit(":", 1)[0], *cluster.get("apiServer", {}).get("certSANs", [])]
    sans = []
    for n in dict.fromkeys(names):
        try:
            ipaddress.ip_address(n)
            sans.append(f"IP:{n}")
        except ValueError:
            sans.append(f"DNS:{n}")
    sign(directory, "apiserver", "/CN=kube-apiserver", sans=sans)


def create_service_account_keys(directory):
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f"{directory}/sa.key")
    openssl("pkey", "-in", f"{directory}/sa.key", "-pubout", "-out", f"{directory}/sa.pub")
    os.chmod(f"{directory}/sa.key", 0o600)


def kubeconfig(directory, server, user, subject, path, signer=None):
    with tempfile.TemporaryDirectory() as tmp:
        # The client certificate is made in a scratch folder: only the kubeconfig keeps it.
        for f in ("ca.crt", "ca.key"):
            os.symlink(f"{os.path.abspath(signer or directory)}/{f}", f"{tmp}/{f}")
        crt, key = sign(tmp, "client", subject, usage="clientAuth")
        b64 = lambda p: base64.b64encode(open(p, "rb").read()).decode()  # noqa: E731
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": f"{user}@kubernetes", "preferences": {},
            "clusters": [{"name": "kubernetes", "cluster": {"certificate-authority-data": b64(f"{directory}/ca.crt"), "server": f"https://{server}"}}],
            "contexts": [{"name": f"{user}@kubernetes", "context": {"cluster": "kubernetes", "user": user}}],
            "users": [{"name": user, "user": {"client-certificate-data": b64(crt), "client-key-data": b64(key)}}],
        }
        write_file(path, yaml.safe_dump(config, sort_keys=False), 0o600)


def write_kubeconfigs(directory, node, endpoint, local, kubelet=True):
    """admin.conf and super-admin.conf through the control-plane endpoint; the components' own to the local server."""
    kubeconfig(directory, endpoint, "kubernetes-admin", "/O=kubeadm:cluster-admins/CN=kubernetes-admin", "/etc/kubernetes/admin.conf")
    kubeconfig(directory, endpoint, "kubernetes-super-admin", "/O=system:masters/CN=kubernetes-super-admin", "/etc/kubernetes/super-admin.conf")
    kubeconfig(directory, local, "system:kube-controller-manager", "/CN=system:kube-controller-manager", "/etc/kubernetes/controller-manager.conf")
    kubeconfig(directory, local, "system:kube-scheduler", "/CN=system:kube-scheduler", "/etc/kubernetes/scheduler.conf")
    if kubelet:
        write_kubelet_kubeconfig(directory, node, endpoint)


def write_kubelet_kubeconfig(directory, node, server):
    """A joining node has no CA key: the real kubelet gets its certificate by TLS bootstrap. The stand-in writes one
    signed by a throwaway key instead: kubelet.conf exists with the right server, which is what the play checks."""
    if os.path.exists(f"{directory}/ca.key"):
        kubeconfig(directory, server, f"system:node:{node}", f"/O=system:nodes/CN=system:node:{node}", "/etc/kubernetes/kubelet.conf")
        return
    with tempfile.TemporaryDirectory() as tmp:
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365", "-subj", "/CN=stand-in-bootstrap",
                "-keyout", f"{tmp}/ca.key", "-out", f"{tmp}/ca.crt")
        kubeconfig(directory, server, f"system:node:{node}", f"/O=system:nodes/CN=system:node:{node}", "/etc/kubernetes/kubelet.conf", signer=tmp)
