// Step 7: Kubernetes itself, with kubeadm. The first master initializes the control plane; the other masters
// join it one at a time; the nodes join in parallel; flannel connects the pods; the operator gets a kubeconfig.
// A host that already joined is left alone: a second run calls neither `kubeadm init` nor `kubeadm join`.
import { randomBytes } from 'node:crypto'
import { $, command, delegateTo, files, localSecret, main, play, randomToken, raw, sh, task, TaskError, type Host, type Inventory } from '../lib/index.js'
import { controlPlaneEndpoint, renderInitConfig, renderJoinConfig, type JoinSecrets } from '../lib/kubeadm.js'
import { firstMaster } from '../lib/kubernetes.js'

const CONFIG_DIR = '/etc/kubernetes/kubeplay'
const INIT_CONFIG = `${CONFIG_DIR}/kubeadm-init.yaml`
const JOIN_CONFIG = `${CONFIG_DIR}/kubeadm-join.yaml`
const FLANNEL_MANIFEST = `${CONFIG_DIR}/kube-flannel.yml`
const ADMIN_CONF = '/etc/kubernetes/admin.conf'
const KUBECTL = raw(`kubectl --kubeconfig ${ADMIN_CONF}`)
const OPERATOR_KUBECONFIG = '.kubeplay/admin.conf'
const KUBELET_JOURNAL = { label: 'kubelet journal (last lines)', command: 'journalctl -u kubelet -n 25 --no-pager -o short-iso' }
const KUBEADM_TIMEOUT_MS = 10 * 60_000
const NODES_READY_TIMEOUT_MS = 5 * 60_000

const isFirstMaster = (host: Host, inventory: Inventory) => host.name === firstMaster(inventory).name

export const initControlPlane = task({
  name: 'kubeadm-init',
  hosts: isFirstMaster,
  anyErrorsFatal: true,
  async run({ host, inventory }) {
    const { token, certificateKey } = clusterSecrets(inventory)
    await files.directory(CONFIG_DIR, { mode: '0700' })
    await files.file(INIT_CONFIG, {
      content: renderInitConfig(inventory, host, token, certificateKey),
      mode: '0600', secret: true, validate: 'kubeadm config validate --config %s',
    })
    await command.run('kubeadm init', sh`kubeadm init --config ${INIT_CONFIG} --upload-certs`, {
      creates: ADMIN_CONF, diagnose: KUBELET_JOURNAL, timeoutMs: KUBEADM_TIMEOUT_MS,
    })
  },
})

export const joinMasters = task({
  name: 'kubeadm-join-masters',
  hosts: (host, inventory) => host.groups.includes('masters') && !isFirstMaster(host, inventory),
  // Each new member of the stacked etcd must be in before the next one joins.
  serial: 1,
  when: notJoinedYet,
  async run({ host, inventory, check }) {
    const { token, certificateKey } = clusterSecrets(inventory)
    // The certificates uploaded by `kubeadm init` expire after 2 hours, the token after its TTL: renew both.
    await delegateTo(firstMaster(inventory).name, async () => {
      await renewToken()
      await command.run('upload the control-plane certificates for joining masters',
        sh`kubeadm init phase upload-certs --upload-certs --config ${INIT_CONFIG}`, { timeoutMs: KUBEADM_TIMEOUT_MS })
    })
    await joinCluster(host, inventory, { token, certificateKey, caCertHash: await caCertHash(inventory, check) })
  },
})

export const joinNodes = task({
  name: 'kubeadm-join-nodes',
  hosts: 'nodes',
  when: notJoinedYet,
  async run({ host, inventory, check }) {
    const { token } = clusterSecrets(inventory)
    await onceForRun(inventory, () => delegateTo(firstMaster(inventory).name, renewToken))
    await joinCluster(host, inventory, { token, caCertHash: await caCertHash(inventory, check) })
  },
})

export const podNetwork = task({
  name: 'cni',
  hosts: isFirstMaster,
  async run({ inventory, check, options }) {
    await files.template(FLANNEL_MANIFEST, 'flannel/kube-flannel.yml.mustache', { podSubnet: inventory.cluster.podSubnet })
    await command.run('kubectl apply flannel', sh`${KUBECTL} apply -f ${FLANNEL_MANIFEST}`, {
      unless: sh`${KUBECTL} diff -f ${FLANNEL_MANIFEST} >/dev/null`,
    })
    if (!check) await waitUntilNodesReady(inventory, options.hosts)
  },
})

export const operatorKubeconfig = task({
  name: 'kubeconfig',
  hosts: isFirstMaster,
  async run({ inventory }) {
    // kubeadm writes the control-plane endpoint already; set it anyway, so the copy always goes through the VIP.
    const server = `https://${controlPlaneEndpoint(inventory)}`
    await files.fetch(ADMIN_CONF, OPERATOR_KUBECONFIG, { transform: (text) => text.replace(/^(\s*server:).*$/m, `$1 ${server}`) })
  },
})

/** The bootstrap token and the key that encrypts the uploaded certificates: made once, kept on the operator's machine. */
function clusterSecrets(inventory: Inventory): { token: string; certificateKey: string } {
  const lower = 'abcdefghijklmnopqrstuvwxyz0123456789'
  return {
    token: localSecret(inventory, 'bootstrap-token', () => `${randomToken(6, lower)}.${randomToken(16, lower)}`),
    certificateKey: localSecret(inventory, 'certificate-key', () => randomBytes(32).toString('hex')),
  }
}

async function notJoinedYet(): Promise<boolean> {
  return !(await $`test -e /etc/kubernetes/kubelet.conf`.readonly().nothrow()).ok
}

/** On the first master: the token again, with a fresh TTL (`kubeadm token create` updates an existing one). */
function renewToken() {
  return command.run('renew the bootstrap token', sh`kubeadm token create --config ${INIT_CONFIG} >/dev/null`)
}

/** The pin of the cluster CA's public key that joining hosts check; unknown in check mode before `kubeadm init`. */
async function caCertHash(inventory: Inventory, check: boolean): Promise<string> {
  const result = await delegateTo(firstMaster(inventory).name, async () =>
    await $`openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum`.readonly().nothrow())
  if (!result.ok) {
    if (check) return 'sha256:(known once kubeadm init ran)'
    throw new TaskError(`cannot read the cluster CA on ${firstMaster(inventory).name}: ${result.stderr.trim()}`)
  }
  return `sha256:${result.stdout.split(' ')[0]}`
}

async function joinCluster(host: Host, inventory: Inventory, secrets: JoinSecrets): Promise<void> {
  await files.directory(CONFIG_DIR, { mode: '0700' })
  await files.file(JOIN_CONFIG, {
    content: renderJoinConfig(inventory, host, secrets),
    mode: '0600', secret: true, validate: 'kubeadm config validate --config %s',
  })
  try {
    await command.run(secrets.certificateKey ? 'kubeadm join (control plane)' : 'kubeadm join', sh`kubeadm join --config ${JOIN_CONFIG}`, {
      creates: '/etc/kubernetes/kubelet.conf', diagnose: KUBELET_JOURNAL, timeoutMs: KUBEADM_TIMEOUT_MS,
    })
  } finally {
    // It holds the token (and a master's certificate key): no use once the host joined, nor left after a failed
    // join (the next run writes it again).
    await files.absent(JOIN_CONFIG)
  }
}

/** The masters and nodes of this run are Ready: with --limit only those, and not those that failed in it. */
async function waitUntilNodesReady(inventory: Inventory, runHosts?: readonly Host[]): Promise<void> {
  const inRun = (host: Host) => !runHosts || runHosts.some((h) => h.name === host.name)
  const wanted = inventory.hosts.filter((h) => (h.groups.includes('masters') || h.groups.includes('nodes')) && inRun(h)).map((h) => h.name)
  const deadline = Date.now() + NODES_READY_TIMEOUT_MS
  let notReady = wanted
  while (Date.now() < deadline) {
    const { stdout } = await $`${KUBECTL} get nodes -o json`.readonly()
    const ready = new Set((JSON.parse(stdout).items as NodeItem[])
      .filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((n) => n.metadata.name))
    notReady = wanted.filter((name) => !ready.has(name))
    if (notReady.length === 0) return
    await new Promise((resolve) => setTimeout(resolve, 3000))
  }
  throw new TaskError(`nodes not Ready after ${NODES_READY_TIMEOUT_MS / 1000} s: ${notReady.join(', ')} ` +
    `(on ${firstMaster(inventory).name}: kubectl --kubeconfig ${ADMIN_CONF} describe node <name>)`)
}

interface NodeItem {
  metadata: { name: string }
  status: { conditions: { type: string; status: string }[] }
}

const runs = new WeakMap<Inventory, Promise<unknown>>()

/** Work done once per run however many hosts ask at the same time (the nodes join in parallel). */
function onceForRun(inventory: Inventory, work: () => Promise<unknown>): Promise<unknown> {
  let started = runs.get(inventory)
  if (!started) runs.set(inventory, (started = work()))
  return started
}

const kubeadm = play('kubeadm', [initControlPlane, joinMasters, joinNodes, podNetwork, operatorKubeconfig])

export default kubeadm
await main(import.meta, kubeadm)
