// Step 4, on the masters, when cluster.etcd is 'external' (the original guide's topology): etcd as a systemd
// service on every master, TLS between members and for clients, certificates from kubeplay's own CA.
// With 'stacked' (kubeadm's default) there is nothing to do here: kubeadm runs etcd as a static pod.
import { $, apt, command, files, hostsIn, main, systemd, task, TaskError, type Host, type Inventory } from '../lib/index.js'
import { ETCD_CLIENT, ETCD_CLIENT_PORT, ETCD_PEER_PORT } from '../lib/kubeadm.js'
import { LocalPki } from '../lib/pki.js'

const ENV_FILE = '/etc/default/etcd'
const PKI_DIR = '/etc/etcd/pki'
const HEALTH_TIMEOUT_S = 90

const etcd = task({
  name: 'etcd',
  hosts: 'masters',
  when: ({ inventory }) => inventory.cluster.etcd === 'external',
  handlers: {
    'restart etcd': () => systemd.service('etcd', { state: 'restarted' }),
  },
  async run({ host, inventory, check }) {
    const pki = await certificatesFor(host, inventory)

    await apt.packages({ names: ['etcd-server', 'etcd-client'] })
    // Debian's package starts a single-member etcd at once: its data would keep this member out of our cluster.
    await command.run('stop the packaged single-member etcd and clear its data', 'systemctl stop etcd && rm -rf /var/lib/etcd/default',
      { unless: `grep -q '^# kubeplay' ${ENV_FILE}` })

    // A `kubeadm reset` of a stacked control plane may have removed it.
    await files.directory('/var/lib/etcd', { mode: '0700', owner: 'etcd', group: 'etcd' })
    await files.directory(PKI_DIR, { mode: '0700', owner: 'etcd', group: 'etcd' })
    for (const [file, source] of [['ca.crt', 'ca.crt'], ['server.crt', `server-${host.name}.crt`], ['server.key', `server-${host.name}.key`],
      ['peer.crt', `peer-${host.name}.crt`], ['peer.key', `peer-${host.name}.key`]]) {
      await files.file(`${PKI_DIR}/${file}`, { content: pki.read(source), mode: '0600', owner: 'etcd', group: 'etcd', secret: file.endsWith('.key'), notify: 'restart etcd' })
    }
    // The API servers' client certificate, where kubeadm's ClusterConfiguration points.
    await files.directory('/etc/kubernetes/pki/etcd', { mode: '0755' })
    await files.file(ETCD_CLIENT.caFile, { content: pki.read('ca.crt'), mode: '0600' })
    await files.file(ETCD_CLIENT.certFile, { content: pki.read('apiserver-etcd-client.crt'), mode: '0600' })
    await files.file(ETCD_CLIENT.keyFile, { content: pki.read('apiserver-etcd-client.key'), mode: '0600', secret: true })

    await files.template(ENV_FILE, 'etcd/etcd.env.mustache', {
      name: host.name,
      address: host.address,
      clientPort: ETCD_CLIENT_PORT,
      peerPort: ETCD_PEER_PORT,
      initialCluster: hostsIn(inventory, 'masters').map((m) => `${m.name}=https://${m.address}:${ETCD_PEER_PORT}`).join(','),
      clusterToken: `${inventory.cluster.name}-etcd`,
    }, { notify: 'restart etcd' })
    await systemd.service('etcd', { enabled: true, state: 'started' })

    if (!check) await waitUntilHealthy(inventory)
  },
})

/** The etcd CA, this member's server and peer certificates, and the API servers' client certificate. */
async function certificatesFor(host: Host, inventory: Inventory): Promise<LocalPki> {
  const pki = LocalPki.forCluster(inventory, 'etcd')
  await pki.ca(`${inventory.cluster.name}-etcd-ca`)
  const altNames = [host.name, host.address, 'localhost', '127.0.0.1']
  await pki.certificate({ name: `server-${host.name}`, commonName: host.name, altNames, usages: ['serverAuth', 'clientAuth'] })
  await pki.certificate({ name: `peer-${host.name}`, commonName: host.name, altNames, usages: ['serverAuth', 'clientAuth'] })
  await pki.certificate({ name: 'apiserver-etcd-client', commonName: 'kube-apiserver-etcd-client', usages: ['clientAuth'] })
  return pki
}

/** Every member answers over TLS. The members start in parallel, so the first to come up waits for the others. */
async function waitUntilHealthy(inventory: Inventory): Promise<void> {
  const endpoints = hostsIn(inventory, 'masters').map((m) => `https://${m.address}:${ETCD_CLIENT_PORT}`).join(',')
  const result = await $`for i in $(seq ${HEALTH_TIMEOUT_S / 3}); do
    if out=$(ETCDCTL_API=3 etcdctl --endpoints=${endpoints} --cacert=${ETCD_CLIENT.caFile} --cert=${ETCD_CLIENT.certFile} --key=${ETCD_CLIENT.keyFile} endpoint health 2>&1); then echo "$out"; exit 0; fi
    sleep 3
  done; echo "$out"; exit 1`.readonly().nothrow()
  if (!result.ok) throw new TaskError(`etcd is not healthy after ${HEALTH_TIMEOUT_S} s:\n${result.stdout.trim()}`)
}

export default etcd
await main(import.meta, etcd)
