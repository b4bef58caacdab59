// STAND-INS on lab hosts for what cannot run here. Installed under /opt/kubeplay-standins so nobody mistakes
// them for the real thing; tests that use them say so in their names.
import { readFileSync } from 'node:fs'
import { aptInstall } from '../lab/apt.js'
import { runOn } from '../lab/lab.js'

export const STANDIN_DIR = '/opt/kubeplay-standins'
const APISERVER_UNIT = 'kubeplay-standin-apiserver'

async function must(host: string, command: string, timeoutMs?: number): Promise<string> {
  const result = await runOn(host, command, { timeoutMs })
  if (result.exitCode !== 0) throw new Error(`on ${host}: ${command.slice(0, 200)}\nexit ${result.exitCode}: ${result.stderr}`)
  return result.stdout
}

/** Copies the stand-in kube-apiserver (TLS, /healthz only) to the host with a self-signed certificate. */
export async function installStandinApiserver(host: string): Promise<void> {
  const script = readFileSync(new URL('../standins/apiserver.py', import.meta.url)).toString('base64')
  await must(host, [
    `mkdir -p ${STANDIN_DIR}`,
    `echo ${script} | base64 -d > ${STANDIN_DIR}/apiserver.py`,
    `[ -f ${STANDIN_DIR}/apiserver.key ] || openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kubeplay-standin ` +
      `-keyout ${STANDIN_DIR}/apiserver.key -out ${STANDIN_DIR}/apiserver.crt 2>/dev/null`,
  ].join(' && '))
}

/** Starts the stand-in API server on `port` as a transient unit: it does not come back after a reboot. */
export async function startStandinApiserver(host: string, port = 6443): Promise<void> {
  await must(host, `systemctl is-active -q ${APISERVER_UNIT} || systemd-run --quiet --unit=${APISERVER_UNIT} --collect ` +
    `python3 ${STANDIN_DIR}/apiserver.py ${port} ${STANDIN_DIR}/apiserver.crt ${STANDIN_DIR}/apiserver.key`)
  await must(host, `for i in $(seq 50); do curl -sfk -o /dev/null https://127.0.0.1:${port}/healthz && exit 0; sleep 0.1; done; exit 1`)
}

export async function stopStandinApiserver(host: string): Promise<void> {
  await must(host, `systemctl stop ${APISERVER_UNIT} 2>/dev/null || true`)
}

// The stand-ins for kubeadm, kubelet and kubectl (and the API server kubeadm init starts), where the real packages
// would put them: /usr/bin, a kubelet unit with kubeadm's drop-in. The unit stays disabled, as before a first
// `systemctl enable`: the playbook enables it.
const KUBERNETES_STANDINS = ['kubeplay_standin.py', 'kubeadm_config.py', 'pki.py', 'apiserver.py', 'kubeadm.py', 'kubectl.py', 'kubelet.py']
export const STANDIN_CALL_LOG = '/var/log/kubeplay-standins/kubeadm-calls.log'

const KUBELET_UNIT = `[Unit]
Description=kubelet: The Kubernetes Node Agent (STAND-IN, kubeplay lab)
Wants=network-online.target
After=network-online.target
[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=5
[Install]
WantedBy=multi-user.target
`
const KUBEADM_DROP_IN = `[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`

export async function installKubernetesStandins(host: string, kubernetesVersion: string): Promise<void> {
  const copy = KUBERNETES_STANDINS.map((name) => {
    const content = readFileSync(new URL(`../standins/${name}`, import.meta.url)).toString('base64')
    return `echo ${content} | base64 -d > ${STANDIN_DIR}/${name}`
  })
  const text = (path: string, content: string) => `echo ${Buffer.from(content).toString('base64')} | base64 -d > ${path}`
  // python3-yaml: the stand-ins parse YAML strictly, as kubeadm does. The lab's base image has it.
  if ((await runOn(host, 'dpkg -s python3-yaml >/dev/null 2>&1')).exitCode !== 0) await aptInstall(host, ['python3-yaml'])
  await must(host, [
    `mkdir -p ${STANDIN_DIR} /etc/kubernetes/manifests /etc/systemd/system/kubelet.service.d`,
    ...copy,
    `echo ${kubernetesVersion.replace(/^v/, '')} > ${STANDIN_DIR}/VERSION`,
    `chmod 755 ${STANDIN_DIR}/*.py`,
    ...['kubeadm', 'kubectl', 'kubelet'].map((tool) => `ln -sfn ${STANDIN_DIR}/${tool}.py /usr/bin/${tool}`),
    text('/lib/systemd/system/kubelet.service', KUBELET_UNIT),
    text('/etc/systemd/system/kubelet.service.d/10-kubeadm.conf', KUBEADM_DROP_IN),
    'systemctl daemon-reload',
  ].join(' && '), 180_000)
}
