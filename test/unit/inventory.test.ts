import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { InventoryError, parseInventory, type InventoryInput } from '../../lib/inventory.js'
import example from '../../hosts.js'

function valid(): any {
  return structuredClone({
    hosts: {
      'kube-master01': { address: '10.0.0.1' },
      'kube-master02': { address: '10.0.0.2' },
      'kube-master03': { address: '10.0.0.3' },
      'kube-node01': { address: '10.0.0.4', vars: { zone: 'a' } },
    },
    groups: { masters: ['kube-master01', 'kube-master02', 'kube-master03'], nodes: ['kube-node01'] },
    vip: { address: '10.0.0.10', interface: 'eth0', routerId: 51 },
    cluster: { kubernetesVersion: '1.34.2' },
  }) satisfies InventoryInput
}

function problems(mutate: (inv: any) => void): string[] {
  const inv = valid()
  mutate(inv)
  try {
    parseInventory(inv)
  } catch (error) {
    assert.instance(error, InventoryError)
    return (error as InventoryError).problems
  }
  assert.unreachable('the inventory was accepted')
  return []
}

test('a valid inventory parses with defaults filled in', () => {
  const inv = parseInventory(valid())
  assert.is(inv.hosts.length, 4)
  assert.equal(inv.hosts[0].groups, ['masters'])
  assert.is(inv.hosts[0].user, undefined) // left to ~/.ssh/config and OpenSSH's defaults
  assert.is(parseInventory({ ...valid(), ssh: { user: 'admin', port: 2222 } }).hosts[0].port, 2222)
  assert.is(inv.cluster.apiPort, 6443)
  assert.is(inv.cluster.lbPort, 16443)
  assert.is(inv.cluster.etcd, 'stacked')
  assert.equal(inv.hosts[3].vars, { zone: 'a' })
})

test('the shipped hosts.ts is the guide topology and valid', () => {
  const inv = parseInventory(example)
  assert.equal(inv.groups.masters, ['kube-master01', 'kube-master02', 'kube-master03'])
  assert.is(inv.vip.address, '172.26.133.160')
  assert.is(inv.hosts.find((h) => h.name === 'kube-node03')?.address, '172.26.133.166')
})

const bad: [string, (inv: any) => void, RegExp][] = [
  ['invalid address', (i) => { i.hosts['kube-master02'].address = '10.0.0.300' }, /^hosts\.kube-master02\.address: is not a valid IP address/],
  ['address is a name', (i) => { i.hosts['kube-node01'].address = 'node1.example' }, /^hosts\.kube-node01\.address: is not a valid IP/],
  ['missing address', (i) => { delete i.hosts['kube-node01'].address }, /^hosts\.kube-node01\.address: is required/],
  ['duplicate address', (i) => { i.hosts['kube-node01'].address = '10.0.0.2' }, /^hosts\.kube-node01\.address: 10\.0\.0\.2 is also the address of kube-master02/],
  ['VIP equals a host address', (i) => { i.vip.address = '10.0.0.3' }, /^vip\.address: 10\.0\.0\.3 is the address of host kube-master03/],
  ['VIP invalid', (i) => { i.vip.address = 'vip' }, /^vip\.address: is not a valid IP/],
  ['no masters', (i) => { i.groups.masters = [] }, /^groups\.masters: at least one master/],
  ['even number of masters', (i) => { i.groups.masters = ['kube-master01', 'kube-master02'] }, /^groups\.masters: has 2 masters; use an odd number/],
  ['group names unknown host', (i) => { i.groups.nodes = ['kube-node09'] }, /^groups\.nodes\.0: names unknown host "kube-node09"/],
  ['extra group names unknown host', (i) => { i.groups.etcd = ['nope'] }, /^groups\.etcd\.0: names unknown host "nope"/],
  ['host listed twice in a group', (i) => { i.groups.nodes = ['kube-node01', 'kube-node01'] }, /^groups\.nodes\.1: lists "kube-node01" twice/],
  ['master also a node', (i) => { i.groups.nodes = ['kube-master01'] }, /^groups\.nodes: "kube-master01" is already a master/],
  ['missing nodes group', (i) => { delete i.groups.nodes }, /^groups\.nodes: is required/],
  ['ssh port out of range', (i) => { i.hosts['kube-node01'].port = 70000 }, /^hosts\.kube-node01\.port: must be between 1 and 65535/],
  ['api port zero', (i) => { i.cluster.apiPort = 0 }, /^cluster\.apiPort: must be between 1 and 65535/],
  ['port not an integer', (i) => { i.cluster.lbPort = 16443.5 }, /^cluster\.lbPort: must be an integer/],
  ['lb port equals api port', (i) => { i.cluster.lbPort = 6443 }, /^cluster\.lbPort: must differ from cluster\.apiPort/],
  ['bad kubernetes version', (i) => { i.cluster.kubernetesVersion = '1.34' }, /^cluster\.kubernetesVersion: must be a Kubernetes version/],
  ['kubernetes version with junk', (i) => { i.cluster.kubernetesVersion = '1.34.2; rm -rf /' }, /^cluster\.kubernetesVersion: must be a Kubernetes version/],
  ['unknown top-level key', (i) => { i.clutser = {} }, /^clutser: unknown field \(a typo\?\)/],
  ['unknown host key', (i) => { i.hosts['kube-node01'].adress = '1.2.3.4' }, /^hosts\.kube-node01\.adress: unknown field/],
  ['unknown cluster key', (i) => { i.cluster.podSubnets = '10.0.0.0/8' }, /^cluster\.podSubnets: unknown field/],
  ['bad pod subnet', (i) => { i.cluster.podSubnet = '10.244.0.0/33' }, /^cluster\.podSubnet: is not a valid CIDR/],
  ['bad etcd mode', (i) => { i.cluster.etcd = 'embedded' }, /^cluster\.etcd: /],
  ['router id out of range', (i) => { i.vip.routerId = 256 }, /^vip\.routerId: must be between 1 and 255/],
  ['unicast not a boolean', (i) => { (i.vip as { unicast?: unknown }).unicast = 'yes' }, /^vip\.unicast: Expected boolean, received string/],
  ['bad interface name', (i) => { i.vip.interface = 'eth0; reboot' }, /^vip\.interface: must be a network interface name/],
  ['host name not a DNS label', (i) => { i.hosts['Kube_Master'] = { address: '10.0.0.9' } }, /^hosts\.Kube_Master: host name must be a lowercase DNS label/],
  ['bad jump host', (i) => { i.hosts['kube-node01'].jump = 'a b' }, /^hosts\.kube-node01\.jump: must look like \[user@\]host\[:port\]/],
  ['bad sudo password env name', (i) => { i.ssh = { sudoPasswordEnv: '1PW' } }, /^ssh\.sudoPasswordEnv: must be an environment variable name/],
  ['bad mirror url', (i) => { i.packages = { kubernetesRepo: { url: 'not a url' } } }, /^packages\.kubernetesRepo/],
  ['vars of wrong type', (i) => { i.hosts['kube-node01'].vars = 'zone=a' }, /^hosts\.kube-node01\.vars: /],
]

for (const [name, mutate, expected] of bad) {
  test(`rejects: ${name}`, () => {
    const found = problems(mutate)
    assert.ok(found.some((p) => expected.test(p)), `expected a problem matching ${expected}, got:\n${found.join('\n')}`)
  })
}

test('all problems are reported together', () => {
  const found = problems((i) => {
    i.hosts['kube-master02'].address = 'x'
    i.vip.routerId = 0
    i.cluster.kubernetesVersion = 'latest'
    i.groups.nodes = ['ghost']
  })
  assert.ok(found.length >= 4, found.join('\n'))
})

test('the error message lists every problem with its field path', () => {
  try {
    parseInventory({ ...valid(), vip: { address: 'x', interface: 'eth0', routerId: 1 } }, 'my-hosts.ts')
    assert.unreachable()
  } catch (error) {
    assert.match((error as Error).message, /invalid inventory my-hosts\.ts:\n  - vip\.address: is not a valid IP address/)
  }
})

test.run()
