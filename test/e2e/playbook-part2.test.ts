// Playbook part 2 on the lab: kubernetes-packages → etcd → kubeadm (init, join masters, join nodes, cni, kubeconfig)
// and reset. kubeadm, kubelet, kubectl and kube-apiserver are STAND-INS (test/standins/: strict about their input,
// they write the files the real ones write and record every kubeadm call); everything else is real, and the
// external etcd is Debian's real etcd 3.4 with TLS.
// KUBEPLAY_TEST_REUSE_LAB=1 skips rebuilding the hosts (a developer's rerun): the cluster is reset instead.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadInventory, type Inventory } from '../../lib/inventory.js'
import { renderInitConfig } from '../../lib/kubeadm.js'
import { assertLabUp, runOn, type LabInfo } from '../lab/lab.js'
import { runKubeplay, writeInventory, type CliRun } from '../support/cli.js'
import { freshLab } from '../support/fresh-lab.js'
import { loud } from '../support/hooks.js'
import { installKubernetesStandins, STANDIN_CALL_LOG } from '../support/standins.js'

let lab: LabInfo
let inventory: Inventory
let masters: string[]
let nodes: string[]
const runs: CliRun[] = []

interface KubeadmCall { host: string; argv: string[]; started: number; ended: number; ok: boolean; controlPlane?: boolean; error?: string }

const reports: string[] = []

async function play(file: string, args: string[], inventoryFile = lab.inventoryFile) {
  const report = join(mkdtempSync(join(tmpdir(), 'kp-play2-')), 'report.json')
  const run = await runKubeplay(file, ['--inventory', inventoryFile, '--report', report, ...args], {}, 900_000)
  runs.push(run)
  if (existsSync(report)) reports.push(readFileSync(report, 'utf8'))
  return run
}

async function sh(host: string, command: string): Promise<string> {
  const r = await runOn(host, command, { timeoutMs: 120_000 })
  assert.is(r.exitCode, 0, `${host}: ${command}\n${r.stderr}`)
  return r.stdout
}

async function kubeadmCalls(): Promise<KubeadmCall[]> {
  const calls: KubeadmCall[] = []
  for (const host of [...masters, ...nodes]) {
    const text = await sh(host, `cat ${STANDIN_CALL_LOG} 2>/dev/null || true`)
    calls.push(...text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)))
  }
  return calls.sort((a, b) => a.started - b.started)
}

const isInitOrJoin = (c: KubeadmCall) => (c.argv[0] === 'init' && c.argv[1] !== 'phase') || c.argv[0] === 'join'
const changedTotal = (run: CliRun) => Number(/(\d+) changed, (\d+) failed/.exec(run.stdout)?.[1] ?? NaN)

async function clearCallLogs() {
  for (const host of [...masters, ...nodes]) await sh(host, `rm -f ${STANDIN_CALL_LOG}`)
}

test.before(loud('setup of playbook-part2.test.ts', async () => {
  lab = process.env.KUBEPLAY_TEST_REUSE_LAB ? await assertLabUp() : await freshLab()
  inventory = await loadInventory(lab.inventoryFile)
  masters = inventory.groups.masters
  nodes = inventory.groups.nodes
  await Promise.all([...masters, ...nodes].map((h) => installKubernetesStandins(h, inventory.cluster.kubernetesVersion)))
  if (process.env.KUBEPLAY_TEST_REUSE_LAB) {
    const reset = await play('tasks/reset.ts', ['--yes'])
    assert.is(reset.code, 0, reset.output)
    await clearCallLogs()
  }
}))

test('stand-ins: tasks/site.ts converges the lab end to end, every node Ready', async () => {
  const run = await play('tasks/site.ts', [])
  assert.is(run.code, 0, run.output)
  const nodesJson = JSON.parse(await sh(masters[0], 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json'))
  const ready = nodesJson.items.filter((n: any) => n.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'))
  assert.equal(ready.map((n: any) => n.metadata.name).sort(), [...masters, ...nodes].sort())
})

test('stand-ins: a second run reports 0 changed and calls no kubeadm init or join', async () => {
  const before = (await kubeadmCalls()).length
  const run = await play('tasks/site.ts', [])
  assert.is(run.code, 0, run.output)
  assert.is(changedTotal(run), 0, run.stdout)
  const after = await kubeadmCalls()
  assert.equal(after.slice(before).filter(isInitOrJoin), [], 'the second run called kubeadm init or join')
})

test('stand-ins: recorded kubeadm calls: init once on master 1, masters join one at a time, nodes after the control plane', async () => {
  const calls = (await kubeadmCalls()).filter((c) => c.ok)
  const inits = calls.filter((c) => c.argv[0] === 'init' && c.argv[1] !== 'phase')
  assert.is(inits.length, 1)
  assert.is(inits[0].host, masters[0])
  assert.ok(inits[0].argv.includes('--upload-certs'))
  const masterJoins = calls.filter((c) => c.argv[0] === 'join' && c.controlPlane)
  assert.equal(masterJoins.map((c) => c.host), masters.slice(1))
  assert.ok(masterJoins[0].ended <= masterJoins[1].started, 'the masters joined at the same time')
  // The certificate key travels in the JoinConfiguration, never as a flag.
  for (const c of masterJoins) assert.equal(c.argv, ['join', '--config', '/etc/kubernetes/kubeplay/kubeadm-join.yaml'])
  const nodeJoins = calls.filter((c) => c.argv[0] === 'join' && !c.controlPlane)
  assert.equal(nodeJoins.map((c) => c.host).sort(), [...nodes].sort())
  const controlPlaneDone = Math.max(...masterJoins.map((c) => c.ended))
  assert.ok(nodeJoins.every((c) => c.started >= controlPlaneDone), 'a node joined before the control plane was complete')
})

test('the kubeadm config on master 1 is what lib/kubeadm.ts renders (pinned by test/golden/)', async () => {
  const onHost = await sh(masters[0], 'cat /etc/kubernetes/kubeplay/kubeadm-init.yaml')
  const secrets = JSON.parse(readFileSync(secretsFile(), 'utf8'))
  const master = inventory.hosts.find((h) => h.name === masters[0])!
  assert.fixture(onHost, renderInitConfig(inventory, master, secrets['bootstrap-token'], secrets['certificate-key']))
})

test('the operator kubeconfig: .kubeplay/admin.conf, mode 0600, server is the VIP and balancer port', () => {
  const file = '.kubeplay/admin.conf'
  assert.is(statSync(file).mode & 0o777, 0o600)
  assert.match(readFileSync(file, 'utf8'), new RegExp(`server: https://${lab.vip.replaceAll('.', '\\.')}:${inventory.cluster.lbPort}\\n`))
})

test('stand-ins: a later run renews the expired uploaded certificates and joins a master again', async () => {
  const state = '/var/lib/kubeplay-standins/cluster.json'
  // Master 3 leaves (kubeadm reset, its Node deleted) and the certificates uploaded at init expire.
  await sh(masters[2], 'kubeadm reset --force >/dev/null')
  await sh(masters[0], `systemctl stop kubeplay-standin-kube-apiserver && python3 -c "import json; s=json.load(open('${state}')); ` +
    `s['nodes'].pop('${masters[2]}'); s['uploadedCerts']['expires']=0; json.dump(s, open('${state}','w'))" && systemctl start kubeplay-standin-kube-apiserver`)
  const run = await play('tasks/site.ts', [])
  assert.is(run.code, 0, run.output)
  assert.match(run.stdout, new RegExp(`${masters[2]}: changed: kubeadm join \\(control plane\\)`))
  assert.match(run.stdout, /changed: upload the control-plane certificates for joining masters \(on kube-master01\)/)
})

test('stand-ins: a failed join (preflight: a stray CA file) fails the run and leaves no join config; the next run joins', async () => {
  const node = nodes[nodes.length - 1]
  const state = '/var/lib/kubeplay-standins/cluster.json'
  // The node leaves (kubeadm reset, its Node deleted); a stray CA file then fails kubeadm's preflight, as it does for real.
  await sh(node, 'kubeadm reset --force >/dev/null && mkdir -p /etc/kubernetes/pki && echo stray > /etc/kubernetes/pki/ca.crt')
  await sh(masters[0], `systemctl stop kubeplay-standin-kube-apiserver && python3 -c "import json; s=json.load(open('${state}')); ` +
    `s['nodes'].pop('${node}'); json.dump(s, open('${state}','w'))" && systemctl start kubeplay-standin-kube-apiserver`)
  const failed = await play('tasks/site.ts', [])
  assert.is.not(failed.code, 0, failed.output)
  assert.match(failed.output, /FileAvailable--etc-kubernetes-pki-ca\.crt/)
  assert.match(failed.output, new RegExp(`${node} failed in task kubeadm-join-nodes`))
  assert.match(failed.stdout, /, 1 failed, 0 unreachable/)
  // The cni task on master 1 waited for the Ready nodes of the run, not for the one that had failed.
  assert.match(failed.stdout, new RegExp(`${masters[0]}\\s+ok=\\d+\\s+changed=\\d+\\s+failed=0`))
  assert.is((await sh(node, 'ls /etc/kubernetes/kubeplay/')).trim(), '', 'the join config (token inside) was removed')

  await sh(node, 'rm /etc/kubernetes/pki/ca.crt')
  const again = await play('tasks/site.ts', ['--limit', node])
  assert.is(again.code, 0, again.output)
  assert.match(again.stdout, new RegExp(`${node}: changed: kubeadm join`))
  assert.is((await sh(node, 'ls /etc/kubernetes/kubeplay/')).trim(), '')
})

test('reset without --yes and without a terminal changes nothing', async () => {
  const run = await play('tasks/reset.ts', [])
  assert.is.not(run.code, 0)
  assert.match(run.output, /reset was not confirmed, nothing was changed/)
  await sh(masters[0], 'test -e /etc/kubernetes/admin.conf')
})

test('reset --yes tears the cluster down on every host', async () => {
  const run = await play('tasks/reset.ts', ['--yes'])
  assert.is(run.code, 0, run.output)
  for (const host of [...masters, ...nodes]) {
    const left = await sh(host, 'ls -d /etc/kubernetes/admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/pki /etc/cni/net.d ' +
      '/etc/kubernetes/kubeplay 2>/dev/null || true; systemctl is-active kubelet kubeplay-standin-kube-apiserver || true')
    assert.is(left.trim(), 'inactive\ninactive', `${host} still has: ${left}`)
  }
})

test('external etcd (real etcd 3.4, TLS) and the control plane on it (stand-ins): three healthy members', async () => {
  const raw = (await import(pathToFileURL(lab.inventoryFile).href)).default
  const external = writeInventory('k8s-external-etcd', { ...raw, cluster: { ...raw.cluster, etcd: 'external' } })
  const run = await play('tasks/site.ts', [], external)
  assert.is(run.code, 0, run.output)
  const health = await sh(masters[0], `${etcdctl()} endpoint health --cluster 2>&1`)
  assert.is(health.match(/is healthy/g)?.length, 3, health)
  const members = await sh(masters[0], `${etcdctl()} member list`)
  assert.is(members.trim().split('\n').length, 3, members)
  assert.ok(members.split('\n').every((m) => !m || /https:\/\/.*:2380, https:\/\/.*:2379/.test(m)), `a member without TLS:\n${members}`)
  const plain = await runOn(masters[0], `curl -s -m 3 http://127.0.0.1:2379/health`)
  assert.is.not(plain.exitCode, 0, 'etcd answers plain HTTP')
})

test('external etcd: still healthy, and writable, with one member stopped', async () => {
  await sh(masters[2], 'systemctl stop etcd')
  try {
    const endpoints = masters.slice(0, 2).map((m) => `https://${inventory.hosts.find((h) => h.name === m)!.address}:2379`).join(',')
    const health = await sh(masters[0], `${etcdctl(endpoints)} endpoint health 2>&1`)
    assert.is(health.match(/is healthy/g)?.length, 2, health)
    await sh(masters[0], `${etcdctl(endpoints)} put /kubeplay-test quorum`)
    assert.match(await sh(masters[1], `${etcdctl()} get /kubeplay-test --print-value-only`), /quorum/)
  } finally {
    await sh(masters[2], 'systemctl start etcd')
  }
})

test('the kubeadm stand-in rejects what the real one rejects', async () => {
  const cases: [string, string, RegExp][] = [
    ['an old apiVersion', 'apiVersion: kubeadm.k8s.io/v1alpha3\nkind: ClusterConfiguration', /no kind "ClusterConfiguration" is registered for version "kubeadm.k8s.io\/v1alpha3"/],
    ['a wrong kind', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfig', /no kind "ClusterConfig" is registered/],
    ['an unknown field', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncontrolPlaneEndPoint: 10.0.0.1:16443', /strict decoding error: unknown field "controlPlaneEndPoint"/],
    ['extraArgs as a map (v1beta3 style)', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n    audit-log-path: /var/log/audit.log', /apiServer.extraArgs: expected a list/],
    ['a malformed token', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: ABC.def', /is not of the form/],
  ]
  for (const [what, config, error] of cases) {
    const r = await runOn(masters[0], `printf '%s\\n' '${config.replaceAll('\n', "' '")}' > /tmp/kp-bad.yaml && kubeadm config validate --config /tmp/kp-bad.yaml`)
    assert.is.not(r.exitCode, 0, `accepted ${what}`)
    assert.match(r.stderr, error, `${what}: ${r.stderr}`)
  }
  const mixed = await runOn(masters[0], 'kubeadm init --config /etc/kubernetes/kubeplay/kubeadm-init.yaml --certificate-key 00')
  assert.match(mixed.stderr, /can not mix '--config' with arguments \[certificate-key\]/)
  const again = await runOn(masters[0], 'kubeadm init --config /etc/kubernetes/kubeplay/kubeadm-init.yaml')
  assert.match(again.stderr, /\[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml\]/)
})

test('no token, certificate key or password in any output or log; secret files are 0600 here and on the hosts', async () => {
  const secrets = Object.values<string>(JSON.parse(readFileSync(secretsFile(), 'utf8')))
  assert.ok(secrets.length >= 3, 'expected the token, the certificate key and the keepalived password')
  // The etcd private keys: any one line of a key's body would be a leak, except the lines that carry only the
  // public key (an EC key's PEM ends with it), which the certificates show anyway.
  const pki = localFiles(join('.kubeplay', 'pki'))
  const certificates = pki.filter((f) => f.endsWith('.crt')).map((f) => readFileSync(f, 'utf8')).join('\n')
  const keyLines = pki.filter((f) => f.endsWith('.key'))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----') && !certificates.includes(l)))
  assert.ok(keyLines.length > 0, 'expected the etcd keys of the external etcd run')
  assert.ok(runs.length >= 5 && reports.length >= 5)
  const texts: [string, string][] = [
    ...runs.flatMap((run): [string, string][] => [['output', run.output], [`log ${run.logFile}`, run.log()]]),
    ...reports.map((r): [string, string] => ['--report JSON', r]),
  ]
  for (const [what, text] of texts) {
    for (const s of [...secrets, ...keyLines]) assert.not.ok(text.includes(s), `a secret appears in the ${what}`)
  }
  for (const file of [secretsFile(), '.kubeplay/admin.conf', ...localFiles(join('.kubeplay', 'pki'))]) {
    assert.is(statSync(file).mode & 0o777, 0o600, `${file} is not 0600`)
  }
  const loose = await sh(masters[0], 'find /etc/kubernetes/kubeplay /etc/kubernetes/admin.conf /etc/kubernetes/pki -name "*.key" -o -name "*.yaml" -o -name "*.conf" | xargs stat -c "%a %n" | grep -v "^600 " || true')
  assert.is(loose.trim(), '', `secret files on ${masters[0]} not 0600:\n${loose}`)
})

function etcdctl(endpoints = 'https://127.0.0.1:2379'): string {
  return 'ETCDCTL_API=3 etcdctl --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/apiserver-etcd-client.crt ' +
    `--key /etc/kubernetes/pki/apiserver-etcd-client.key --endpoints ${endpoints}`
}

function secretsFile(): string {
  return join('.kubeplay', 'secrets', `${inventory.cluster.name}-${inventory.vip.address}.json`)
}

function localFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

test.run()
