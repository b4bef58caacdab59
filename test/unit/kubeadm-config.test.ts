// The kubeadm configuration kubeplay renders (lib/kubeadm.ts), pinned by golden files in test/golden/ that were
// checked by hand against the kubeadm.k8s.io/v1beta4 reference. UPDATE_GOLDEN=1 rewrites them (then check again).
import { readFileSync, writeFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parse, parseAllDocuments } from 'yaml'
import { parseInventory, type Inventory } from '../../lib/inventory.js'
import { renderInitConfig, renderJoinConfig } from '../../lib/kubeadm.js'

// Fixed stand-in secrets: the goldens must not depend on generated ones.
const TOKEN = 'abcdef.0123456789abcdef'
const CERTIFICATE_KEY = 'f'.repeat(64)
const CA_HASH = `sha256:${'0'.repeat(64)}`

function inventory(etcd: 'stacked' | 'external'): Inventory {
  return parseInventory({
    hosts: {
      'kube-master01': { address: '172.26.133.161' },
      'kube-master02': { address: '172.26.133.162' },
      'kube-master03': { address: '172.26.133.163' },
      'kube-node01': { address: '172.26.133.164' },
    },
    groups: { masters: ['kube-master01', 'kube-master02', 'kube-master03'], nodes: ['kube-node01'] },
    vip: { address: '172.26.133.160', interface: 'eth0', routerId: 51 },
    cluster: { kubernetesVersion: '1.34.2', etcd },
  })
}

function golden(name: string, rendered: string): void {
  const file = new URL(`../golden/${name}`, import.meta.url)
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, rendered)
  assert.fixture(rendered, readFileSync(file, 'utf8'), `${name} differs from the golden file`)
}

const host = (inv: Inventory, name: string) => inv.hosts.find((h) => h.name === name)!

test('init config, stacked etcd, matches its golden file', () => {
  const inv = inventory('stacked')
  golden('kubeadm-init-stacked.yaml', renderInitConfig(inv, host(inv, 'kube-master01'), TOKEN, CERTIFICATE_KEY))
})

test('init config, external etcd, matches its golden file', () => {
  const inv = inventory('external')
  golden('kubeadm-init-external.yaml', renderInitConfig(inv, host(inv, 'kube-master01'), TOKEN, CERTIFICATE_KEY))
})

test('join config of a master matches its golden file', () => {
  const inv = inventory('stacked')
  golden('kubeadm-join-master.yaml', renderJoinConfig(inv, host(inv, 'kube-master02'), { token: TOKEN, caCertHash: CA_HASH, certificateKey: CERTIFICATE_KEY }))
})

test('join config of a node matches its golden file: no controlPlane section', () => {
  const inv = inventory('stacked')
  const rendered = renderJoinConfig(inv, host(inv, 'kube-node01'), { token: TOKEN, caCertHash: CA_HASH })
  golden('kubeadm-join-node.yaml', rendered)
  assert.not.ok('controlPlane' in parse(rendered))
})

test('init config: three v1beta4 / kubelet documents, extraArgs as a list of name and value', () => {
  const inv = inventory('stacked')
  const docs = parseAllDocuments(renderInitConfig(inv, host(inv, 'kube-master01'), TOKEN, CERTIFICATE_KEY)).map((d) => d.toJSON())
  assert.equal(docs.map((d) => `${d.apiVersion} ${d.kind}`), [
    'kubeadm.k8s.io/v1beta4 InitConfiguration',
    'kubeadm.k8s.io/v1beta4 ClusterConfiguration',
    'kubelet.config.k8s.io/v1beta1 KubeletConfiguration',
  ])
  assert.equal(docs[0].nodeRegistration.kubeletExtraArgs, [{ name: 'node-ip', value: '172.26.133.161' }])
  assert.is(docs[1].controlPlaneEndpoint, '172.26.133.160:16443')
  assert.equal(docs[1].apiServer.certSANs, ['172.26.133.160', 'kube-master01', 'kube-master02', 'kube-master03',
    '172.26.133.161', '172.26.133.162', '172.26.133.163'])
  assert.is(docs[2].cgroupDriver, 'systemd')
})

test.run()
