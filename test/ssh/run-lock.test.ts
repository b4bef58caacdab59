// The run lock rides on a host's first command (no round trip of its own), against a real sshd: the command runs
// only once the lock is this run's; a lock held by another run stops it and every later command on that host.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseInventory, type Inventory } from '../../lib/inventory.js'
import { SshConnector } from '../../lib/pool.js'
import { RunLock, RunLockHeldError } from '../../lib/run-lock.js'
import { loud } from '../support/hooks.js'
import { startSshd, type TestSshd } from '../support/sshd.js'

let sshd: TestSshd
let work: string
let inventory: Inventory
const lockFile = () => join(work, 'kubeplay.lock')

const foreignHolder = JSON.stringify({ host: 'elsewhere', user: 'ops', pid: 1, started: '2026-12-01T00:00:00Z', run: 'x', machine: 'feedfacefeedface' })

test.before(loud('setup of run-lock.test.ts', async () => {
  sshd = await startSshd()
  inventory = parseInventory({
    ssh: { key: sshd.clientKeyPath, knownHosts: sshd.knownHostsFile, connectTimeoutMs: 3000 },
    hosts: { h1: { address: '127.0.0.1', port: sshd.port, user: 'root' } },
    groups: { masters: ['h1'], nodes: [] },
    vip: { address: '127.0.0.100', interface: 'lo', routerId: 1 },
    cluster: { kubernetesVersion: '1.34.2' },
  })
}))
test.before.each(() => {
  work = mkdtempSync(join(tmpdir(), 'kp-run-lock-'))
})
test.after.each(() => {
  rmSync(work, { recursive: true, force: true })
})
test.after(async () => {
  await sshd.stop()
})

test('a free lock is taken with the first command; no command of its own; released at the end', async () => {
  const lock = new RunLock({ path: lockFile() })
  const connector = new SshConnector(inventory, { lock })
  const remote = await connector.connect(inventory.hosts[0])
  assert.not.ok(existsSync(lockFile()), 'connecting alone takes no lock')
  const first = await remote.exec(`cat -- ${lockFile()}`)
  assert.is(first.code, 0)
  assert.is(JSON.parse(first.stdout).run, lock.me.run, 'the first command ran with the lock already this run\'s')
  assert.is((await remote.exec('echo two')).stdout, 'two\n')
  assert.equal(connector.commandCounts(), { h1: 2 })
  await connector.closeAll()
  assert.not.ok(existsSync(lockFile()), 'released')
})

test('a lock held by another run: the first command does not run, nor any later one; the lock is left alone', async () => {
  writeFileSync(lockFile(), `${foreignHolder}\n`)
  const connector = new SshConnector(inventory, { lock: new RunLock({ path: lockFile() }) })
  const remote = await connector.connect(inventory.hosts[0])
  const marker = join(work, 'ran')
  const first = await remote.exec(`touch ${marker}`).then(() => undefined, (error: unknown) => error)
  assert.instance(first, RunLockHeldError)
  assert.match((first as Error).message, 'user ops on elsewhere, pid 1')
  const later = await remote.exec(`touch ${marker}`).then(() => undefined, (error: unknown) => error)
  assert.instance(later, RunLockHeldError)
  assert.not.ok(existsSync(marker), 'no command ran')
  await connector.closeAll()
  assert.is(readFileSync(lockFile(), 'utf8'), `${foreignHolder}\n`, 'the other run\'s lock is untouched')
})

test('--break-lock: the foreign lock is replaced and the first command runs', async () => {
  writeFileSync(lockFile(), `${foreignHolder}\n`)
  const lock = new RunLock({ path: lockFile(), breakLock: true })
  const connector = new SshConnector(inventory, { lock })
  const remote = await connector.connect(inventory.hosts[0])
  const result = await remote.exec(`cat -- ${lockFile()}`)
  assert.is(JSON.parse(result.stdout).run, lock.me.run)
  await connector.closeAll()
  assert.not.ok(existsSync(lockFile()))
})

test.run()
