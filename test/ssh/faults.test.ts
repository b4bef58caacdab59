// Faults, bad input and security, the way an operator meets them: the CLI against a real sshd playing three hosts
// (127.0.0.1-3). Each host works under its own temp folder; runs lock hosts with this test process's lock file.
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bigContent } from '../support/big-content.js'
import { runKubeplay, startKubeplay, testRunLock, writeInventory, type StartedRun } from '../support/cli.js'
import { startFreezableProxy } from '../support/freezable-proxy.js'
import { loud } from '../support/hooks.js'
import { startSshd, type TestSshd } from '../support/sshd.js'

const PLAY = 'test/fixtures/fault-play.ts'
let sshd: TestSshd
let work: string

function inventory(name: string, hosts: Record<string, object>, knownHosts = sshd.knownHostsFile) {
  return writeInventory(`faults-${name}`, {
    ssh: { key: sshd.clientKeyPath, knownHosts, connectTimeoutMs: 3000 },
    hosts,
    groups: { masters: [Object.keys(hosts)[0]], nodes: Object.keys(hosts).slice(1) },
    vip: { address: '127.0.0.100', interface: 'lo', routerId: 1 },
    cluster: { kubernetesVersion: '1.34.2' },
  })
}

function host(n: number, vars: object = {}, user = 'root') {
  return { address: `127.0.0.${n}`, port: sshd.port, user, vars: { root: join(work, `h${n}`), ...vars } }
}

const at = (n: number, file: string) => join(work, `h${n}`, file)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor(what: string, condition: () => boolean, run?: StartedRun, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${run ? `; output so far:\n${run.output()}` : ''}`)
    await sleep(50)
  }
}

function report(path: string) {
  return JSON.parse(readFileSync(path, 'utf8'))
}

test.before(loud('setup of faults.test.ts', async () => {
  sshd = await startSshd({ addresses: ['127.0.0.1', '127.0.0.2', '127.0.0.3'] })
}))
test.before.each(() => {
  work = mkdtempSync(join(tmpdir(), 'kp-faults-'))
  rmSync(testRunLock(), { force: true })
})
test.after.each(() => {
  rmSync(work, { recursive: true, force: true })
})
test.after(async () => {
  rmSync(testRunLock(), { force: true })
  await sshd.stop()
})

test('two runs at once: the second fails fast, naming the holder (host, user, pid, start time), and changes nothing', async () => {
  const inv = inventory('lock', { a1: host(1, { sleep: 4 }), a2: host(2) })
  const first = startKubeplay(PLAY, ['--inventory', inv, '--only', 'prepare,slow'])
  await waitFor('the first run to be in its slow task', () => existsSync(at(1, 'slow-started')), first)
  const json = join(work, 'second.json')
  const second = await runKubeplay(PLAY, ['--inventory', inv, '--only', 'after', '--report', json])
  assert.is(second.code, 2, second.output)
  assert.match(second.stdout, new RegExp(`another kubeplay run holds the lock ${testRunLock()}: user root on ${hostname()}, pid ${first.child.pid}, started \\d{4}-\\d\\d-\\d\\dT`))
  assert.match(second.stdout, /--break-lock/)
  assert.not.ok(existsSync(at(1, 'after')) || existsSync(at(2, 'after')), 'the second run changed a host')
  assert.is(report(json).totals.changed, 0)
  const firstRun = await first.done
  assert.is(firstRun.code, 0, firstRun.output)
  assert.not.ok(existsSync(testRunLock()), 'the first run released its lock')
})

test('a stale lock: one left by a killed run of this machine is taken over; a foreign one needs --break-lock', async () => {
  const inv = inventory('stale', { a1: host(1, { sleep: 30 }) })
  const killed = startKubeplay(PLAY, ['--inventory', inv, '--only', 'prepare,slow'])
  await waitFor('the run to be in its slow task', () => existsSync(at(1, 'slow-started')), killed)
  killed.child.kill('SIGKILL')
  await killed.done
  assert.match(readFileSync(testRunLock(), 'utf8'), `"pid":${killed.child.pid}`, 'the killed run left its lock')
  const takeover = await runKubeplay(PLAY, ['--inventory', inv, '--only', 'after'])
  assert.is(takeover.code, 0, takeover.output)

  const foreign = { host: 'laptop-7', user: 'alice', pid: 4242, started: '2025-01-02T03:04:05.000Z', run: 'r', machine: '0123456789abcdef' }
  writeFileSync(testRunLock(), `${JSON.stringify(foreign)}\n`)
  rmSync(at(1, 'after'))
  const refused = await runKubeplay(PLAY, ['--inventory', inv, '--only', 'after'])
  assert.is(refused.code, 2, refused.output)
  assert.match(refused.stdout, 'user alice on laptop-7, pid 4242, started 2025-01-02T03:04:05.000Z')
  assert.not.ok(existsSync(at(1, 'after')))
  const broken = await runKubeplay(PLAY, ['--inventory', inv, '--only', 'after', '--break-lock'])
  assert.is(broken.code, 0, broken.output)
  assert.ok(existsSync(at(1, 'after')))
  assert.not.ok(existsSync(testRunLock()))
})

test('Ctrl-C once: running commands finish, no new task starts, the recap so far is printed, locks released', async () => {
  const inv = inventory('sigint', { a1: host(1, { sleep: 3 }), a2: host(2, { sleep: 3 }) })
  const run = startKubeplay(PLAY, ['--inventory', inv, '--only', 'prepare,slow,after'])
  await waitFor('both hosts in the slow task', () => existsSync(at(1, 'slow-started')) && existsSync(at(2, 'slow-started')), run)
  run.child.kill('SIGINT')
  const done = await run.done
  assert.is(done.code, 130, done.output)
  assert.match(done.stderr, /interrupted: no new work starts/)
  assert.match(done.stdout, /PLAY RECAP faults/)
  for (const n of [1, 2]) {
    assert.ok(existsSync(at(n, 'slow-done')), `the running command on a${n} was cut short`)
    assert.not.ok(existsSync(at(n, 'after')), `a new task started on a${n} after Ctrl-C`)
  }
  for (const name of ['a1', 'a2']) assert.match(done.stdout, new RegExp(`${name} .* failed=0  skipped=1 `), 'after is skipped, nothing failed')
  assert.not.ok(existsSync(testRunLock()), 'the lock was not released')
})

test('Ctrl-C twice mid-write: the write is killed on the host, no half-written or temp file stays, a re-run converges', async () => {
  const inv = inventory('abort', { a1: host(1, { bigFile: 16, validateSleep: 30 }) })
  const run = startKubeplay(PLAY, ['--inventory', inv, '--only', 'prepare,write'])
  const temp = () => readdirSync(join(work, 'h1')).filter((f) => f.startsWith('.big.bin.kubeplay.'))
  await waitFor('the temp file of the write', () => existsSync(join(work, 'h1')) && temp().length === 1, run)
  const started = Date.now()
  run.child.kill('SIGINT')
  await sleep(300)
  run.child.kill('SIGINT')
  const done = await run.done
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms to stop`)
  assert.is(done.code, 130, done.output)
  assert.match(done.stdout, /PLAY RECAP faults/)
  assert.match(done.stdout, /command aborted \(interrupted\)/)
  assert.not.ok(existsSync(at(1, 'big.bin')), 'a half-written file is in place')
  assert.equal(temp(), [], 'a temp file was left behind')
  assert.not.ok(existsSync(testRunLock()), 'the lock was not released')

  const inv2 = inventory('abort-resume', { a1: host(1, { bigFile: 16 }) })
  const again = await runKubeplay(PLAY, ['--inventory', inv2, '--only', 'prepare,write'])
  assert.is(again.code, 0, again.output)
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
  assert.is(sha(readFileSync(at(1, 'big.bin'))), sha(bigContent(16)))
})

test('a host that dies mid-task fails (keepalive), the others converge; --limit to it then converges', async () => {
  const proxy = await startFreezableProxy(sshd.port)
  try {
    const knownHosts = join(work, 'known_hosts')
    writeFileSync(knownHosts, `${readFileSync(sshd.knownHostsFile, 'utf8')}[127.0.0.1]:${proxy.port} ${sshd.hostKeyPub}\n`)
    const hosts = { a1: { ...host(1, { sleep: 2 }), port: proxy.port }, a2: host(2), a3: host(3) }
    const inv = inventory('dies', hosts, knownHosts)
    const json = join(work, 'r.json')
    const run = startKubeplay(PLAY, ['--inventory', inv, '--only', 'prepare,slow,after', '--report', json])
    await waitFor('a1 in its slow task', () => existsSync(at(1, 'slow-started')), run)
    proxy.freeze()
    const started = Date.now()
    const done = await run.done
    assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`)
    assert.is(done.code, 2, done.output)
    const r = report(json)
    assert.is(r.hosts.a1.unreachable, 1)
    assert.match(r.hosts.a1.errors[0].message, /a1 \(127\.0\.0\.1:\d+\): connection lost/)
    assert.ok(existsSync(at(2, 'after')) && existsSync(at(3, 'after')), 'the other hosts did not converge')

    const direct = inventory('dies-resume', { ...hosts, a1: host(1) })
    const resumed = await runKubeplay(PLAY, ['--inventory', direct, '--only', 'prepare,slow,after', '--limit', 'a1', '--report', json])
    assert.is(resumed.code, 0, resumed.output)
    assert.equal(Object.keys(report(json).hosts), ['a1'])
    assert.ok(existsSync(at(1, 'after')))
  } finally {
    await proxy.close()
  }
})

test('hostile inventory values reach the host literally and never run: checked for side effects', async () => {
  const pwned = (n: number) => join(work, `pwned-${n}`)
  const hostile = [
    `$(touch ${pwned(1)})`,
    `\`touch ${pwned(2)}\``,
    `'; touch ${pwned(3)}; '`,
    `x\ntouch ${pwned(4)}`,
    `"; touch ${pwned(5)}; echo "`,
    `a && touch ${pwned(6)} || touch ${pwned(6)}`,
    '$HOME ${IFS} * \\ -n %s',
  ]
  const inv = inventory('hostile', { a1: host(1, { hostile }) })
  for (const round of [1, 2]) {
    const json = join(work, `r${round}.json`)
    const run = await runKubeplay(PLAY, ['--inventory', inv, '--only', 'prepare,hostile', '--report', json])
    assert.is(run.code, 0, run.output)
    if (round === 2) assert.is(report(json).totals.changed, 0, 'hostile values are not idempotent')
  }
  hostile.forEach((value, i) => {
    assert.is(readFileSync(at(1, `arg-${i}`), 'utf8'), value, `value ${i} through $`)
    assert.is(readFileSync(at(1, `file-${i}`), 'utf8'), value, `value ${i} through files.file`)
  })
  assert.is(readFileSync(at(1, 'lines'), 'utf8').split('\n').length, hostile.length + 1)
  for (let n = 1; n <= 6; n++) assert.not.ok(existsSync(pwned(n)), `hostile value ${n} was executed`)
})

test('hostile values in fields that reach commands (names, addresses, interface) are rejected before any connection', async () => {
  const inv = writeInventory('faults-hostile-fields', {
    hosts: { 'a1;reboot': { address: '127.0.0.1' }, a2: { address: '$(reboot)' } },
    groups: { masters: ['a2'], nodes: [] },
    vip: { address: '127.0.0.100', interface: 'lo;reboot', routerId: 1 },
    cluster: { kubernetesVersion: '1.34.2', name: 'k`id`' },
  })
  const logins = sshd.logins()
  const run = await runKubeplay(PLAY, ['--inventory', inv])
  assert.is(run.code, 1, run.output)
  for (const field of ['hosts.a1;reboot', 'hosts.a2.address', 'vip.interface', 'cluster.name']) assert.match(run.stderr, `- ${field}`)
  assert.is(sshd.logins(), logins)
})

test('a hosts.ts with a syntax or a type error: file and line, exit 1, before any connection', async () => {
  const file = join('.kubeplay', 'test', 'faults-broken.ts')
  const good = `import { defineInventory } from '../../lib/inventory.js'\nexport default defineInventory({\n  hosts: { a1: { address: '127.0.0.1', port: ${sshd.port} } },\n` +
    `  groups: { masters: ['a1'], nodes: [] },\n  vip: { address: '127.0.0.100', interface: 'lo', routerId: 1 },\n  cluster: { kubernetesVersion: '1.34.2' },\n})\n`
  const logins = sshd.logins()
  writeFileSync(file, good.replace(`port: ${sshd.port} }`, `port: ${sshd.port} ]`))
  const syntax = await runKubeplay(PLAY, ['--inventory', file])
  assert.is(syntax.code, 1, syntax.output)
  assert.match(syntax.stderr, `${file}:3:`)
  writeFileSync(file, good.replace(`port: ${sshd.port}`, `port: '${sshd.port}'`))
  const typed = await runKubeplay(PLAY, ['--inventory', file])
  assert.is(typed.code, 1, typed.output)
  assert.match(typed.stderr, '- hosts.a1.port: ')
  assert.match(typed.stderr, new RegExp(`type error: ${file.replaceAll('.', '\\.')}:3:\\d+: Type 'string' is not assignable to type 'number'`))
  assert.is(sshd.logins(), logins)
})

test('a sudo password (from the environment) is in no output, log or report', async () => {
  const inv = inventory('sudo-password', { a1: host(1, {}, sshd.users.pwsudoer) })
  const json = join(work, 'r.json')
  const run = await runKubeplay(PLAY, ['--inventory', inv, '--only', 'prepare,slow', '--verbose', '--report', json], { KUBEPLAY_SUDO_PASSWORD: sshd.pwsudoerPassword })
  assert.is(run.code, 0, run.output)
  assert.ok(existsSync(at(1, 'slow-done')), 'the run did its work through sudo')
  for (const [where, text] of [['output', run.output], ['log', run.log()], ['report', readFileSync(json, 'utf8')]]) {
    assert.not.ok(text.includes(sshd.pwsudoerPassword), `the sudo password appears in the ${where}`)
  }
})

test.run()
