// The local lab: real Debian hosts (systemd-nspawn) on one bridge. Needs `npm run lab:up` first
// (`npm run test:lab` does it). Fails, never skips, when the lab is not up.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadInventory } from '../../lib/inventory.js'
import { aptInstall } from '../lab/apt.js'
import { type LabInfo, assertLabUp, cutNetwork, labInfo, powerOff, powerOn, restoreNetwork, runOn, sshArgs } from '../lab/lab.js'
import { REPO_ROOT } from '../lab/config.js'
import { labLeftovers } from '../lab/leftovers.js'
import { ARCHIVE_CACHE } from '../lab/proxy.js'
import { BUSYBOX_IMAGE, buildBusyboxImage } from '../lab/oci-image.js'
import { waitFor } from '../lab/processes.js'
import { loud } from '../support/hooks.js'

const run = promisify(execFile)
const ssh = (args: string[]) => run('ssh', args, { timeout: 30_000 })

let lab: LabInfo
const masters = () => lab.hosts.filter((h) => h.group === 'masters').map((h) => h.name)

async function mustRun(host: string, command: string, timeoutMs?: number): Promise<string> {
  const result = await runOn(host, command, { timeoutMs })
  assert.is(result.exitCode, 0, `${host}: \`${command}\` exited ${result.exitCode}: ${result.stderr.trim()}`)
  return result.stdout.trim()
}

test.before(loud('setup of lab.test.ts', async () => {
  lab = await assertLabUp()
}))

test('the lab is up: bridge, routes through it, apt proxy, every host running', async () => {
  assert.ok(lab.hosts.length >= 4)
  for (const host of lab.hosts) assert.is(host.state, 'running', host.name)
})

test('every host answers OpenSSH with a verified host key', async () => {
  await Promise.all(lab.hosts.map(async (host) => {
    const { stdout } = await ssh([...sshArgs(host.name), 'hostname'])
    assert.is(stdout.trim(), host.name)
  }))
})

test('a host key missing from known_hosts is refused (verification is on)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeplay-lab-test-'))
  try {
    const empty = join(dir, 'known_hosts')
    writeFileSync(empty, '')
    const args = sshArgs(lab.hosts[0].name).map((a) => (a.startsWith('UserKnownHostsFile=') ? `UserKnownHostsFile=${empty}` : a))
    const error = await ssh([...args, 'true']).then(() => undefined, (err: Error) => err)
    assert.ok(error, 'ssh connected although the host key was unknown')
    assert.match(String((error as { stderr?: string }).stderr), /Host key verification failed/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('hostnames and addresses are distinct and as planned', async () => {
  const seen = await Promise.all(lab.hosts.map((h) => mustRun(h.name, 'hostname; ip -4 -o addr show dev host0 | awk "{print \\$4}"')))
  const names = seen.map((s) => s.split('\n')[0])
  const addresses = seen.map((s) => s.split('\n')[1])
  assert.equal(names, lab.hosts.map((h) => h.name))
  assert.equal(addresses, lab.hosts.map((h) => `${h.address}/24`))
  assert.is(new Set(names).size, names.length)
  assert.is(new Set(addresses).size, addresses.length)
})

test('a file written on one host is absent on another', async () => {
  const [one, other] = lab.hosts
  const marker = `/root/lab-test-${Date.now()}`
  await mustRun(one.name, `echo ${one.name} > ${marker}`)
  assert.is(await mustRun(one.name, `cat ${marker}`), one.name)
  assert.is((await runOn(other.name, `test -e ${marker}`)).exitCode, 1)
  await mustRun(one.name, `rm ${marker}`)
})

test('systemd runs every host: systemctl is-system-running says running', async () => {
  await Promise.all(lab.hosts.map(async (host) => {
    const result = await runOn(host.name, 'systemctl is-system-running --wait; systemctl --failed --no-legend')
    assert.is(result.stdout.trim(), 'running', `${host.name}: ${result.stdout}`)
  }))
})

test('hosts have no route out of the lab', async () => {
  const routes = await mustRun(lab.hosts[0].name, 'ip -4 route')
  assert.not.match(routes, /default/)
  assert.is((await runOn(lab.hosts[0].name, 'ip route get 1.1.1.1')).exitCode, 2, 'a host can route to 1.1.1.1')
})

test('apt-get install of a small package works inside a host through the proxy', async () => {
  const host = lab.hosts.find((h) => h.group === 'nodes')!.name
  await runOn(host, 'apt-get purge -y -q hello')
  await aptInstall(host, ['hello'])
  assert.is(await mustRun(host, 'hello'), 'Hello, world!')
})

test('every host downloads through the apt proxy: a package file comes from the mirror once, then from its cache; only the archives are proxied', async () => {
  // `hello`'s package file is removed from the proxy's cache first, so that it must come from the mirror.
  const cached = join(ARCHIVE_CACHE, 'deb.debian.org/debian/pool/main/h/hello')
  rmSync(cached, { recursive: true, force: true })
  const logBefore = readFileSync(lab.proxyLog, 'utf8').length
  await Promise.all(lab.hosts.map((h) => mustRun(h.name, 'apt-get update -qq && cd /tmp && rm -f hello_*.deb && apt-get download -q hello && ls hello_*.deb')))
  const log = readFileSync(lab.proxyLog, 'utf8').slice(logBefore)
  assert.is(log.match(/fetched \S+\/hello_\S+\.deb from upstream/g)?.length, 1, log)
  assert.is(log.match(/200 GET \S+\/hello_\S+\.deb/g)?.length, lab.hosts.length, log)
  assert.ok(readdirSync(cached).some((f) => /^hello_.*\.deb$/.test(f)), `nothing cached in ${cached}`)

  const elsewhere = await runOn(lab.hosts[0].name, `curl -s -o /dev/null -w '%{http_code}' -x ${lab.proxy} http://example.invalid/`)
  assert.is(elsewhere.stdout, '403', 'the proxy let a request through to a host that is not a Debian archive of the lab')
})

test('keepalived on the three masters holds the VIP and moves it when the holder stops', async () => {
  await Promise.all(masters().map((host) => aptInstall(host, ['keepalived'])))
  await Promise.all(masters().map((host, i) => mustRun(host, `cat > /etc/keepalived/keepalived.conf <<'EOF'
vrrp_instance lab_test {
  state BACKUP
  interface host0
  virtual_router_id ${lab.routerId}
  priority ${150 - 10 * i}
  advert_int 1
  virtual_ipaddress {
    ${lab.vip}/24
  }
}
EOF
systemctl restart keepalived`)))
  const holders = async () => {
    const shown = await Promise.all(masters().map((h) => mustRun(h, 'ip -4 -o addr show dev host0')))
    return masters().filter((_, i) => shown[i].includes(` ${lab.vip}/`))
  }
  const holderIs = async (expected: string) => {
    let seen: string[] = []
    const ok = await waitFor(async () => { seen = await holders(); return seen.length === 1 && seen[0] === expected }, 15_000, 250)
    assert.ok(ok, `expected ${expected} alone to hold ${lab.vip}; holders: ${seen.join(', ') || 'none'}`)
  }
  try {
    const [first, second] = masters()
    await holderIs(first)
    const stoppedAt = Date.now()
    await mustRun(first, 'systemctl stop keepalived')
    await holderIs(second)
    // Not console.log: under uvu (FORCE_COLOR=1) with NO_COLOR=1 it makes node print a warning.
    process.stdout.write(`  VIP moved from ${first} to ${second} in ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s\n`)
  } finally {
    await Promise.all(masters().map((h) => runOn(h, 'systemctl stop keepalived')))
  }
})

test('containerd in a host runs a locally built image with ctr run', async () => {
  const host = lab.hosts.find((h) => h.group === 'spare')!.name
  await aptInstall(host, ['containerd'])
  const dir = mkdtempSync(join(tmpdir(), 'kubeplay-lab-oci-'))
  try {
    const tarball = await buildBusyboxImage(dir)
    await run('scp', [...sshArgs(host).slice(0, -1), tarball, `root@${lab.hosts.find((h) => h.name === host)!.address}:/root/busybox-oci.tar`])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  await mustRun(host, 'systemctl is-active containerd || systemctl restart containerd')
  await mustRun(host, 'ctr image import /root/busybox-oci.tar')
  const output = await mustRun(host, `ctr run --rm ${BUSYBOX_IMAGE} lab-test-${Date.now()} /bin/busybox echo hello from a container`, 60_000)
  assert.is(output, 'hello from a container')
})

test('powerOff stops a host, powerOn boots it again with its files', async () => {
  const host = lab.hosts.find((h) => h.group === 'nodes' && h.name !== lab.hosts[0].name)!.name
  await mustRun(host, 'echo kept > /root/lab-power-test')
  await powerOff(host)
  assert.is(labInfo().hosts.find((h) => h.name === host)!.state, 'powered-off')
  assert.is.not((await runOn(host, 'true', { timeoutMs: 15_000 })).exitCode, 0, `${host} still answers after powerOff`)
  await assertLabUp() // a host powered off on purpose is no problem
  await powerOn(host)
  assert.is(await mustRun(host, 'cat /root/lab-power-test; rm /root/lab-power-test'), 'kept')
  assert.is(labInfo().hosts.find((h) => h.name === host)!.state, 'running')
})

test('cutNetwork isolates a running host, restoreNetwork reconnects it', async () => {
  const host = lab.hosts.find((h) => h.group === 'nodes')!.name
  await cutNetwork(host)
  try {
    assert.is(labInfo().hosts.find((h) => h.name === host)!.state, 'network-cut')
    assert.is.not((await runOn(host, 'true', { timeoutMs: 15_000 })).exitCode, 0, `${host} still answers with its cable cut`)
  } finally {
    await restoreNetwork(host)
  }
  assert.is(await mustRun(host, 'hostname'), host)
})

test('the written inventory loads and names the lab hosts', async () => {
  const inventory = await loadInventory(lab.inventoryFile)
  assert.equal(inventory.hosts.map((h) => [h.name, h.address]), lab.hosts.map((h) => [h.name, h.address]))
  assert.equal(inventory.vip, { address: lab.vip, interface: 'host0', routerId: lab.routerId })
  assert.is(inventory.ssh.knownHosts, lab.knownHostsFile)
  assert.equal(inventory.groups.masters, masters())
})

test('a second lab runs beside this one and lab:down leaves nothing of it behind', async () => {
  const second = { name: `${lab.name}-beside`, bridge: 'kplab9', subnet: '10.77.99.0/24' }
  const flags = ['--name', second.name, '--bridge', second.bridge, '--subnet', second.subnet]
  const cli = (...args: string[]) => run('npx', ['tsx', 'test/lab/cli.ts', ...args, ...flags], { cwd: REPO_ROOT, timeout: 180_000 })
  try {
    await cli('up', '--hosts', '4')
    const beside = await assertLabUp({ name: second.name })
    const { stdout } = await ssh([...sshArgs('kube-master01', { name: second.name }), 'hostname; ip -4 -o addr show dev host0'])
    assert.match(stdout, /^kube-master01\n.* 10\.77\.99\.11\/24/)
    assert.is.not(beside.routerId, lab.routerId)
    assert.ok((await assertLabUp()).hosts.every((h) => h.state === 'running'), 'the first lab suffered')
  } finally {
    await cli('down')
  }
  assert.equal(labLeftovers(second), [])
})

test.run()
