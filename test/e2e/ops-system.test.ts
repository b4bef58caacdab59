// System operations against a lab host (the lab named by KUBEPLAY_LAB_NAME, default "kubeplay"): apt packages
// and repositories, systemd services, sysctl, kernel modules, swap. Every operation runs twice: the second run
// must report ok. The host is put back as it was at the end (test files removed, values restored).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadInventory, type Host, type Inventory } from '../../lib/inventory.js'
import { apt, files, modules, swap, sysctl, systemd } from '../../lib/ops/index.js'
import { Connection } from '../../lib/ssh/connection.js'
import { assertLabUp, type LabInfo } from '../lab/lab.js'
import { onHost, type OnHostOptions } from '../support/on-host.js'

const PACKAGE = 'hello' // tiny, no dependencies, in bookworm main
const UNIT = 'kp-ops-test.service'
const UNIT_FILE = `/etc/systemd/system/${UNIT}`
const UNIT_CONFIG = '/etc/kp-ops-test.conf'
const SYSCTL_FILE = '/etc/sysctl.d/90-kp-ops-test.conf'
const MODULES_FILE = '/etc/modules-load.d/kp-ops-test.conf'
const REPO = { name: 'kp-ops-test', dir: '/srv/kp-ops-test-repo' }

let lab: LabInfo
let inventory: Inventory
let host: Host
let connection: Connection
let originalFstab: string
let originalSysctl: string

/** One run: the same inventory for every call, so apt's "lists updated this run" carries over. */
async function run<T>(body: () => Promise<T>, options: OnHostOptions = {}) {
  return onHost(connection, body, { inventory, hostName: host.name, ...options })
}

async function ok<T>(body: () => Promise<T>, options: OnHostOptions = {}) {
  const result = await run(body, options)
  if (result.error) throw result.error
  return result
}

/** A command on the lab host, outside any operation (setup and checks). */
async function sh(command: string): Promise<string> {
  const result = await connection.exec(command)
  assert.is(result.code, 0, `${host.name}: \`${command}\` exited ${result.code}: ${result.stderr.trim()}`)
  return result.stdout.trim()
}

async function cleanUp(): Promise<void> {
  await connection.exec([
    `apt-mark unhold ${PACKAGE} >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ${PACKAGE} >/dev/null 2>&1`,
    `systemctl disable --now ${UNIT} >/dev/null 2>&1; rm -f ${UNIT_FILE} ${UNIT_CONFIG}; systemctl daemon-reload`,
    `rm -f ${SYSCTL_FILE} ${MODULES_FILE} /etc/apt/keyrings/${REPO.name}.gpg /etc/apt/sources.list.d/${REPO.name}.* ; rm -rf ${REPO.dir}`,
  ].join('\n'))
}

// Set up on first use rather than in test.before: uvu reports an error thrown in a hook as nothing at all.
let ready: Promise<void> | undefined
const setUp = () => (ready ??= connectToLab())

function labTest(name: string, body: () => Promise<void>) {
  test(name, async () => {
    await setUp()
    await body()
  })
}

async function connectToLab(): Promise<void> {
  lab = await assertLabUp()
  inventory = await loadInventory(lab.inventoryFile)
  const labHost = lab.hosts.find((h) => h.group === 'spare') ?? lab.hosts[lab.hosts.length - 1]
  host = inventory.hosts.find((h) => h.name === labHost.name)!
  connection = new Connection(
    { name: host.name, address: host.address, user: 'root', key: lab.keyFile },
    { knownHostsFile: lab.knownHostsFile, sshConfigFile: false, agentSocket: false },
  )
  await cleanUp()
  originalFstab = await connection.exec('cat /etc/fstab').then((r) => r.stdout)
  originalSysctl = await sh('sysctl -n net.ipv4.ip_forward net.ipv4.tcp_keepalive_time | paste -sd " "')
}

test.after(async () => {
  if (!connection) return
  await cleanUp()
  const [forward, keepalive] = originalSysctl.split(' ')
  await connection.exec(`sysctl -q -w net.ipv4.ip_forward=${forward} net.ipv4.tcp_keepalive_time=${keepalive}`)
  await connection.exec('cat > /etc/fstab', { stdin: originalFstab })
  await connection.close()
})

labTest('apt.packages: check mode changes nothing; install and hold; again ok; unhold; remove', async () => {
  const check = await ok(() => apt.packages({ names: [PACKAGE], hold: true }), { check: true })
  assert.is(check.changed, 1)
  assert.match(check.reports[0].summary ?? '', `install ${PACKAGE}`)
  assert.is((await connection.exec(`dpkg -s ${PACKAGE}`)).code, 1, 'check mode did not install')

  const install = await ok(() => apt.packages({ names: [PACKAGE], hold: true }))
  assert.is(install.changed, 1)
  assert.is(install.reports[0].summary, `apt-get update; install ${PACKAGE}; hold ${PACKAGE}`)
  assert.match(await sh(`dpkg-query -W -f='\${Status}' ${PACKAGE}`), 'hold ok installed')
  assert.is(await sh('apt-mark showhold'), PACKAGE)

  const again = await ok(() => apt.packages({ names: [PACKAGE], hold: true }))
  assert.is(again.changed, 0)
  assert.is(again.commands, 1, 'one dpkg-query, no apt-get')

  const version = await sh(`dpkg-query -W -f='\${Version}' ${PACKAGE}`)
  assert.is((await ok(() => apt.packages({ names: [PACKAGE], version: { [PACKAGE]: version } }))).changed, 0)
  assert.is((await ok(() => apt.packages({ names: [PACKAGE], version: { [PACKAGE]: `${version.slice(0, 3)}*` } }))).changed, 0)
  const pinned = await ok(() => apt.packages({ names: [PACKAGE], version: { [PACKAGE]: '0.1-1' } }), { check: true })
  assert.is(pinned.reports[0].summary, `install ${PACKAGE}=0.1-1 (was ${version})`)

  const unhold = await ok(() => apt.packages({ names: [PACKAGE], hold: false }))
  assert.is(unhold.reports[0].summary, `unhold ${PACKAGE}`)
  assert.is(await sh('apt-mark showhold'), '')
  assert.is((await ok(() => apt.packages({ names: [PACKAGE], hold: false }))).changed, 0)

  const remove = await ok(() => apt.packages({ names: [PACKAGE], state: 'absent' }))
  assert.is(remove.reports[0].summary, `remove ${PACKAGE}`)
  assert.is((await connection.exec(`dpkg-query -W -f='\${Status}' ${PACKAGE}`)).stdout.includes(' installed'), false)
  assert.is((await ok(() => apt.packages({ names: [PACKAGE], state: 'absent' }))).changed, 0)

  const reinstall = await ok(() => apt.packages({ names: [PACKAGE] }))
  assert.is(reinstall.reports[0].summary, `install ${PACKAGE}`, 'the lists were updated once this run already')
})

labTest('apt.repository: keyring dearmored like gpg, signed-by source verified by apt-get update; next install updates', async () => {
  const gnupg = mkdtempSync(join(tmpdir(), 'kp-gpg-'))
  try {
    const gpg = (args: string[], input?: string) => execFileSync('gpg', ['--homedir', gnupg, '--batch', '--quiet', ...args], { input })
    gpg(['--passphrase', '', '--quick-gen-key', 'kubeplay ops test <ops@example.invalid>', 'ed25519', 'sign', 'never'])
    const armored = gpg(['--armor', '--export']).toString()
    const release = 'Origin: kubeplay\nLabel: kubeplay\nSuite: stable\nCodename: stable\nDate: Sat, 01 Jan 2022 00:00:00 UTC\n' +
      'SHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 Packages\n'
    writeFileSync(join(gnupg, 'Release'), release)
    gpg(['--clearsign', '--output', join(gnupg, 'InRelease'), join(gnupg, 'Release')])
    const inRelease = readFileSync(join(gnupg, 'InRelease'))

    const repo = { name: REPO.name, url: `file:${REPO.dir}`, suite: './', key: { content: armored } }
    const publish = await ok(async () => {
      await files.directory(REPO.dir)
      await files.file(`${REPO.dir}/Packages`, { content: '' })
      await files.file(`${REPO.dir}/InRelease`, { content: inRelease })
      return apt.repository(repo)
    })
    assert.is(publish.changed, 4)
    assert.equal(publish.reports[3].summary, `create /etc/apt/keyrings/${REPO.name}.gpg; create /etc/apt/sources.list.d/${REPO.name}.list`)
    assert.is(await sh(`cat /etc/apt/sources.list.d/${REPO.name}.list`), `deb [signed-by=/etc/apt/keyrings/${REPO.name}.gpg] file:${REPO.dir} ./`)
    const keyring = Buffer.from(await sh(`base64 -w0 /etc/apt/keyrings/${REPO.name}.gpg`), 'base64')
    assert.ok(keyring.equals(gpg(['--dearmor'], armored)), 'the keyring is what gpg --dearmor makes')
    assert.is((await ok(() => apt.repository(repo))).changed, 0)

    // The key downloaded on the host (curl supports file: URLs, and the lab has no internet).
    await ok(() => files.file(`${REPO.dir}/key.asc`, { content: armored }))
    assert.is((await ok(() => apt.repository({ ...repo, key: { url: `file://${REPO.dir}/key.asc` } }))).changed, 0, 'same keyring')
    const badUrl = await run(() => apt.repository({ ...repo, key: { url: `file://${REPO.dir}/missing.asc` } }))
    assert.match(badUrl.error?.message ?? '', `cannot download the key of apt repository ${REPO.name} from file://${REPO.dir}/missing.asc`)

    const update = await connection.exec('apt-get update -q 2>&1')
    assert.is(update.code, 0, update.stdout)
    assert.not.match(update.stdout, /NO_PUBKEY|not signed|W:|E:/)

    await sh(`DEBIAN_FRONTEND=noninteractive apt-get remove -y -q ${PACKAGE}`)
    const install = await ok(() => apt.packages({ names: [PACKAGE] }))
    assert.is(install.reports[0].summary, `apt-get update; install ${PACKAGE}`, 'the changed repository made the lists stale')

    const deb822 = await ok(() => apt.repository({ ...repo, format: 'sources', arch: 'amd64' }))
    assert.is(deb822.reports[0].summary, `create /etc/apt/sources.list.d/${REPO.name}.sources`)
    assert.match(await sh(`cat /etc/apt/sources.list.d/${REPO.name}.sources`), `Architectures: amd64\nSigned-By: /etc/apt/keyrings/${REPO.name}.gpg`)
  } finally {
    rmSync(gnupg, { recursive: true, force: true })
    await connection.exec(`rm -f /etc/apt/sources.list.d/${REPO.name}.*`)
  }
})

const unitFile = (sleep: string) =>
  `[Unit]\nDescription=kubeplay ops test\n\n[Service]\nExecStart=/bin/sleep ${sleep}\n\n[Install]\nWantedBy=multi-user.target\n`

labTest('systemd.service: enable and start, again ok; restart; a changed unit file gets a daemon-reload; stop', async () => {
  assert.is((await ok(() => files.file(UNIT_FILE, { content: unitFile('infinity') }))).changed, 1)
  const start = await ok(() => systemd.service(UNIT, { enabled: true, state: 'started' }))
  assert.is(start.reports[0].summary, 'enable; start')
  assert.is(await sh(`systemctl is-active ${UNIT}`), 'active')
  assert.is(await sh(`systemctl is-enabled ${UNIT}`), 'enabled')
  assert.is((await ok(() => systemd.service(UNIT, { enabled: true, state: 'started' }))).changed, 0)

  const pid = await sh(`systemctl show -p MainPID --value ${UNIT}`)
  const restart = await ok(() => systemd.service(UNIT, { state: 'restarted' }))
  assert.is(restart.changed, 1)
  assert.is.not(await sh(`systemctl show -p MainPID --value ${UNIT}`), pid)

  await ok(() => files.file(UNIT_FILE, { content: unitFile('86400') }))
  assert.is((await ok(() => systemd.daemonReload([UNIT]))).reports[0].summary, `daemon-reload (changed: ${UNIT})`)
  await ok(() => files.file(UNIT_FILE, { content: unitFile('86401') }))
  const reload = await ok(() => systemd.service(UNIT, { enabled: true, state: 'started' }))
  assert.is(reload.reports[0].summary, 'daemon-reload')
  assert.is(await sh(`systemctl show -p NeedDaemonReload --value ${UNIT}`), 'no')
  assert.is((await ok(() => systemd.service(UNIT, { enabled: true, state: 'started' }))).changed, 0)
  assert.is((await ok(() => systemd.daemonReload([UNIT]))).changed, 0)

  const stop = await ok(() => systemd.service(UNIT, { enabled: false, state: 'stopped' }))
  assert.is(stop.reports[0].summary, 'disable; stop')
  assert.is((await connection.exec(`systemctl is-active ${UNIT}`)).stdout.trim(), 'inactive')
  assert.is((await ok(() => systemd.service(UNIT, { enabled: false, state: 'stopped' }))).changed, 0)

  const missing = await run(() => systemd.service('kp-no-such-unit.service', { state: 'started' }))
  assert.match(missing.error?.message ?? '', 'kp-no-such-unit.service is not-found')
})

labTest('a config that fails validation leaves the old file and the running service alone, handler not notified', async () => {
  await ok(async () => {
    await files.file(UNIT_CONFIG, { content: 'valid=yes\n' })
    await files.file(UNIT_FILE, { content: unitFile('infinity') })
    return systemd.service(UNIT, { state: 'started' })
  })
  const pid = await sh(`systemctl show -p MainPID --value ${UNIT}`)
  const broken = await run(() => files.file(UNIT_CONFIG, { content: 'valid=no\n', validate: `grep -q valid=yes ${UNIT_CONFIG}`, notify: `restart ${UNIT}` }))
  assert.match(broken.error?.message ?? '', `validation failed on ${host.name}`)
  assert.match(broken.error?.message ?? '', UNIT_CONFIG)
  assert.equal(broken.notified, [])
  assert.is(await sh(`cat ${UNIT_CONFIG}`), 'valid=yes')
  assert.is(await sh(`systemctl show -p MainPID --value ${UNIT}`), pid)
})

labTest('a restart or reload handler is skipped when the service was started after the change; a running one is restarted', async () => {
  await ok(() => files.file(UNIT_FILE, { content: unitFile('infinity') }))
  await sh(`systemctl daemon-reload; systemctl stop ${UNIT}`)
  const restart = `restart ${UNIT}`
  const handlers = { [restart]: () => systemd.service(UNIT, { state: 'restarted' }) }
  const changeThenStart = (value: string) => async () => {
    await files.file(UNIT_CONFIG, { content: `value=${value}\n`, notify: restart })
    await systemd.service(UNIT, { state: 'started' })
  }

  const fromStopped = await ok(changeThenStart('1'), { handlers })
  assert.equal(fromStopped.reports.map((r) => `${r.op}: ${r.status}`), [`file ${UNIT_CONFIG}: changed`, `service ${UNIT}: changed`, `service ${UNIT}: ok`])
  assert.is(fromStopped.reports[1].summary, 'start')
  assert.is(fromStopped.commands, 4, 'two operations of two round trips each; the skipped handler sent none')
  const pid = await sh(`systemctl show -p MainPID --value ${UNIT}`)

  const whileRunning = await ok(changeThenStart('2'), { handlers })
  assert.equal(whileRunning.reports.map((r) => r.status), ['changed', 'ok', 'changed'])
  assert.is(whileRunning.reports[2].summary, 'restart')
  assert.is.not(await sh(`systemctl show -p MainPID --value ${UNIT}`), pid, 'the running service was restarted')

  const startThenChange = await ok(async () => {
    await sh(`systemctl stop ${UNIT}`)
    await systemd.service(UNIT, { state: 'started' })
    await files.file(UNIT_CONFIG, { content: 'value=3\n', notify: restart })
  }, { handlers })
  assert.equal(startThenChange.reports.map((r) => r.status), ['changed', 'changed', 'changed'], 'started before the change: restarted')

  await sh(`systemctl stop ${UNIT}`)
  const reloadHandlers = { [restart]: () => systemd.service(UNIT, { state: 'reloaded' }) }
  const reloadAfterStart = await ok(changeThenStart('4'), { handlers: reloadHandlers })
  assert.equal(reloadAfterStart.reports.map((r) => r.status), ['changed', 'changed', 'ok'], 'a reload handler after a start is skipped too')
  await sh(`systemctl stop ${UNIT}`)
})

labTest('sysctl.set: persisted and applied, again ok; drift of the live value alone is re-applied', async () => {
  await sh('sysctl -q -w net.ipv4.ip_forward=0 net.ipv4.tcp_keepalive_time=7200')
  const values = { 'net.ipv4.ip_forward': 1, 'net.ipv4.tcp_keepalive_time': 600 }
  const check = await ok(() => sysctl.set(values, { file: SYSCTL_FILE }), { check: true })
  assert.is(check.changed, 1)
  assert.is(await sh('sysctl -n net.ipv4.ip_forward'), '0', 'check mode applied nothing')

  const first = await ok(() => sysctl.set(values, { file: SYSCTL_FILE }))
  assert.is(first.reports[0].summary,
    `create ${SYSCTL_FILE}; set net.ipv4.ip_forward = 1 (was 0), net.ipv4.tcp_keepalive_time = 600 (was 7200)`)
  assert.is(first.commands, 2)
  assert.is(await sh('sysctl -n net.ipv4.ip_forward net.ipv4.tcp_keepalive_time | paste -sd " "'), '1 600')
  assert.match(await sh(`cat ${SYSCTL_FILE}`), 'net.ipv4.ip_forward = 1\nnet.ipv4.tcp_keepalive_time = 600')
  assert.is((await ok(() => sysctl.set(values, { file: SYSCTL_FILE }))).changed, 0)

  await sh('sysctl -q -w net.ipv4.tcp_keepalive_time=300')
  const drift = await ok(() => sysctl.set(values, { file: SYSCTL_FILE }))
  assert.is(drift.reports[0].summary, 'set net.ipv4.tcp_keepalive_time = 600 (was 300)')
  assert.is((await ok(() => sysctl.set(values, { file: SYSCTL_FILE }))).changed, 0)
})

labTest('modules.load: built-in overlay and br_netfilter count as present; only the file changes; again ok', async () => {
  const first = await ok(() => modules.load(['overlay', 'br_netfilter'], { file: MODULES_FILE }))
  assert.is(first.reports[0].summary, `create ${MODULES_FILE}`)
  assert.match(await sh(`cat ${MODULES_FILE}`), 'overlay\nbr_netfilter')
  assert.is((await ok(() => modules.load(['overlay', 'br_netfilter'], { file: MODULES_FILE }))).changed, 0)

  const hasModprobe = (await connection.exec('command -v modprobe')).code === 0
  const missing = await run(() => modules.load(['kp_no_such_module'], { file: MODULES_FILE }))
  if (hasModprobe) assert.match(missing.error?.message ?? '', 'kp_no_such_module')
  else assert.match(missing.error?.message ?? '', `kernel module kp_no_such_module not loaded on ${host.name}, and modprobe is not installed`)
  assert.match(await sh(`cat ${MODULES_FILE}`), 'overlay\nbr_netfilter', 'a failed plan wrote nothing')
})

labTest('swap.off: swap lines in /etc/fstab commented out, the rest kept; again ok', async () => {
  await sh(`printf '%s\\n' '/dev/sdz1 /data ext4 defaults 0 2' '/swapfile none swap sw 0 0' 'UUID=1234 none  swap  defaults 0 0' >> /etc/fstab`)
  const off = await ok(() => swap.off())
  assert.is(off.changed, 1)
  assert.is(off.reports[0].summary, 'comment out 2 swap lines in /etc/fstab')
  const fstab = await sh('cat /etc/fstab')
  assert.match(fstab, '/dev/sdz1 /data ext4 defaults 0 2\n# /swapfile none swap sw 0 0\n# UUID=1234 none  swap  defaults 0 0')
  assert.is(await sh('stat -c %a /etc/fstab'), '644')
  assert.is(await sh('tail -n +2 /proc/swaps | wc -l'), '0')
  assert.is((await ok(() => swap.off())).changed, 0)
})

test.run()
