// The engine end to end, the way an operator runs it: a play file started with tsx, against a real sshd that
// plays three hosts (127.0.0.1-3), each working under its own temp folder.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runKubeplay, writeInventory } from '../support/cli.js'
import { freePort, startSshd, type TestSshd } from '../support/sshd.js'
import { loud } from '../support/hooks.js'

const PLAY = 'test/fixtures/example-play.ts'
const SECRET = 'kp-test-secret-0f9e8d7c6b5a'
const env = { KP_TEST_SECRET: SECRET }
let sshd: TestSshd
let work: string
let deadPort: number

function inventory(name: string, hosts: Record<string, object>, extra: object = {}) {
  return writeInventory(name, {
    ssh: { key: sshd.clientKeyPath, knownHosts: sshd.knownHostsFile, connectTimeoutMs: 3000 },
    hosts,
    groups: { masters: [Object.keys(hosts)[0]], nodes: Object.keys(hosts).slice(1) },
    vip: { address: '127.0.0.100', interface: 'lo', routerId: 1 },
    cluster: { kubernetesVersion: '1.34.2' },
    ...extra,
  })
}

function host(n: number, vars: object = {}, user = 'root') {
  return { address: `127.0.0.${n}`, port: sshd.port, user, vars: { root: join(work, `h${n}`), ...vars } }
}

function report(path: string) {
  return JSON.parse(readFileSync(path, 'utf8'))
}

test.before(loud('setup of runner.test.ts', async () => {
  sshd = await startSshd({ addresses: ['127.0.0.1', '127.0.0.2', '127.0.0.3'] })
  deadPort = await freePort()
}))
test.before.each(() => {
  work = mkdtempSync(join(tmpdir(), 'kp-runner-'))
})
test.after.each(() => {
  rmSync(work, { recursive: true, force: true })
})
test.after(async () => {
  await sshd.stop()
})

test('converges three hosts, then a second run reports 0 changed', async () => {
  const inv = inventory('three', { a1: host(1), a2: host(2), a3: host(3) })
  const json = join(work, 'first.json')
  const first = await runKubeplay(PLAY, ['--inventory', inv, '--report', json], env)
  assert.is(first.code, 0, first.output)
  assert.match(first.stdout, /PLAY RECAP example/)
  const r1 = report(json)
  assert.is(r1.totals.changed, 12) // 4 operations on 3 hosts
  assert.is(r1.hosts.a2.changed, 4)
  assert.is(readFileSync(join(work, 'h2/etc/app/app.conf'), 'utf8'), 'name = a2\nport = 8080\n')
  assert.is(statSync(join(work, 'h2/etc/app/token')).mode & 0o777, 0o600)
  assert.is(readFileSync(join(work, 'h1/handler.log'), 'utf8'), 'restarted\n', 'notified twice, the handler ran once')

  const second = await runKubeplay(PLAY, ['--inventory', inv, '--report', join(work, 'second.json')], env)
  assert.is(second.code, 0, second.output)
  const r2 = report(join(work, 'second.json'))
  assert.is(r2.totals.changed, 0)
  assert.is(r2.totals.ok, 12)
  assert.is(readFileSync(join(work, 'h1/handler.log'), 'utf8'), 'restarted\n', 'nothing changed, so no handler ran')
  assert.match(second.stdout, /3 hosts, 0 changed, 0 failed, 0 unreachable/)
})

test('check mode changes nothing and lists what would change, with diffs', async () => {
  const inv = inventory('check', { a1: host(1) })
  const fresh = await runKubeplay(PLAY, ['--inventory', inv, '--check', '--report', join(work, 'r.json')], env)
  assert.is(fresh.code, 0, fresh.output)
  assert.not.ok(existsSync(join(work, 'h1')), 'check mode created files')
  assert.match(fresh.stdout, /would change: directory .*\/etc\/app/)
  assert.is(report(join(work, 'r.json')).totals.changed, 4)
  assert.match(fresh.stdout, /check mode: nothing was changed/)

  await runKubeplay(PLAY, ['--inventory', inv], env)
  const conf = join(work, 'h1/etc/app/app.conf')
  writeFileSync(conf, 'name = a1\nport = 9090\n')
  const before = readFileSync(conf)
  const drift = await runKubeplay(PLAY, ['--inventory', inv, '--check', '--diff', '--report', join(work, 'd.json')], env)
  assert.is(drift.code, 0, drift.output)
  assert.ok(readFileSync(conf).equals(before), 'check mode modified the file')
  assert.match(drift.stdout, /-port = 9090/)
  assert.match(drift.stdout, /\+port = 8080/)
  assert.is(report(join(work, 'd.json')).totals.changed, 1)
})

test('one failing host does not stop the others; the error names host, task, command, exit code, stderr', async () => {
  const inv = inventory('failing', { a1: host(1), a2: host(2, { fail: true }), a3: host(3) })
  const run = await runKubeplay(PLAY, ['--inventory', inv, '--report', join(work, 'r.json')], env)
  assert.is(run.code, 2, run.output)
  const r = report(join(work, 'r.json'))
  assert.is(r.hosts.a2.failed, 1)
  assert.is(r.hosts.a1.failed + r.hosts.a3.failed, 0)
  assert.is(r.totals.failed, 1)
  assert.ok(existsSync(join(work, 'h3/etc/app/app.conf')))
  const message = r.hosts.a2.errors[0].message as string
  assert.match(message, /command failed on a2 \(task probe\) with exit code 3/)
  assert.match(message, /boom: a2 cannot go on/)
  assert.match(run.stdout, /a2 failed in task probe/)
})

test('an unreachable host is reported as unreachable and the others converge', async () => {
  const inv = inventory('unreachable', { a1: host(1), gone: { ...host(3), port: deadPort } })
  const run = await runKubeplay(PLAY, ['--inventory', inv, '--report', join(work, 'r.json')], env)
  assert.is(run.code, 2, run.output)
  const r = report(join(work, 'r.json'))
  assert.is(r.hosts.gone.unreachable, 1)
  assert.is(r.hosts.gone.failed, 0)
  assert.is(r.hosts.a1.changed, 4)
  assert.match(r.hosts.gone.errors[0].message, new RegExp(`127\\.0\\.0\\.3:${deadPort}`))
})

test('a non-root user works through sudo', async () => {
  const inv = inventory('sudo', { a1: host(1, {}, sshd.users.sudoer) })
  const run = await runKubeplay(PLAY, ['--inventory', inv], env)
  assert.is(run.code, 0, run.output)
  assert.is(statSync(join(work, 'h1/etc/app/app.conf')).uid, 0, 'files are written as root through sudo')
})

test('no secret appears in output, log file or report', async () => {
  const inv = inventory('secrets', { a1: host(1) })
  const json = join(work, 'r.json')
  const run = await runKubeplay(PLAY, ['--inventory', inv, '--verbose', '--diff', '--report', json], env)
  assert.is(run.code, 0, run.output)
  assert.ok(readFileSync(join(work, 'h1/etc/app/token'), 'utf8').includes(SECRET), 'the secret reached the host')
  assert.ok(run.logFile && existsSync(run.logFile), 'a run log was written')
  assert.match(run.log(), /echo using token \*{8}/)
  for (const [where, text] of [['output', run.output], ['log', run.log()], ['report', readFileSync(json, 'utf8')]]) {
    assert.not.ok(text.includes(SECRET), `the secret appears in the ${where}`)
  }
})

test('a task can delegate work to another host; it counts for the delegating host', async () => {
  const inv = inventory('delegate', { a1: host(1), a2: host(2), a3: host(3) })
  const json = join(work, 'r.json')
  const run = await runKubeplay('test/fixtures/delegate-play.ts', ['--inventory', inv, '--report', json])
  assert.is(run.code, 0, run.output)
  for (const n of [1, 2, 3]) assert.is(readFileSync(join(work, `h1/peers/a${n}`), 'utf8'), `127.0.0.${n}\n`)
  assert.not.ok(existsSync(join(work, 'h2/peers')))
  assert.is(readFileSync(join(work, 'h3/first-master'), 'utf8'), 'a1\n'.replace('a1', readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()))
  // Its peer file on a1, its folder and its own file; a1's peers folder may be counted for a3 too.
  assert.ok(report(json).hosts.a3.changed >= 3)
  assert.match(run.stdout, /a3: changed: file .*\/h1\/peers\/a3 — create .* \(on a1\)|a3: changed: file .*peers\/a3 \(on a1\)/)
})

test('--fail-fast stops the play at the first failed host', async () => {
  const inv = inventory('failfast', { a1: host(1), a2: host(2, { failAt: 'folders' }) })
  const json = join(work, 'r.json')
  const run = await runKubeplay(PLAY, ['--inventory', inv, '--fail-fast', '--report', json], env)
  assert.is(run.code, 2, run.output)
  const r = report(json)
  assert.is(r.hosts.a2.failed, 1)
  assert.match(r.hosts.a2.errors[0].message, /exit code 4/)
  assert.ok(r.hosts.a1.skipped >= 3, `a1 went on: ${JSON.stringify(r.hosts.a1)}`)
  assert.not.ok(existsSync(join(work, 'h1/etc/app/app.conf')), 'a later task ran after the failure')
})

test('serial: 1 works on one host at a time; hosts no task selects are not in the recap', async () => {
  const inv = inventory('serial', { m1: host(1), n2: host(2), n3: host(3) })
  const json = join(work, 'r.json')
  const run = await runKubeplay('test/fixtures/serial-play.ts', ['--inventory', inv, '--report', json])
  assert.is(run.code, 0, run.output)
  assert.equal(Object.keys(report(json).hosts).sort(), ['n2', 'n3'])
  const [a, b] = ['h2', 'h3'].map((h) => readFileSync(join(work, `${h}.times`), 'utf8').trim().split('\n').map(BigInt))
  assert.ok(a[1] <= b[0] || b[1] <= a[0], `the two hosts overlapped: ${a} ${b}`)
})

test('usage errors exit 1 before any connection', async () => {
  const inv = inventory('usage', { a1: host(1) })
  const logins = sshd.logins()
  for (const args of [['--limit', 'nope'], ['--only', 'nosuchtask'], ['--skip', 'x'], ['--frobnicate'], ['--forks', '0']]) {
    const run = await runKubeplay(PLAY, ['--inventory', inv, ...args], env)
    assert.is(run.code, 1, `${args.join(' ')}: ${run.output}`)
    assert.match(run.stderr, /^kubeplay: /)
  }
  assert.is(sshd.logins(), logins, 'a usage error connected to a host')
})

test('an invalid inventory exits 1 naming every bad field, before any connection', async () => {
  const inv = writeInventory('invalid', {
    hosts: { a1: { address: '127.0.0.1', port: 99999 }, a2: { address: '127.0.0.1' } },
    groups: { masters: ['a1', 'a2'], nodes: ['ghost'] },
    vip: { address: '127.0.0.100', interface: 'lo', routerId: 1 },
    cluster: { kubernetesVersion: 'latest' },
  })
  const logins = sshd.logins()
  const run = await runKubeplay(PLAY, ['--inventory', inv], env)
  assert.is(run.code, 1, run.output)
  for (const field of ['hosts.a1.port', 'hosts.a2.address', 'groups.masters', 'groups.nodes.0', 'cluster.kubernetesVersion']) {
    assert.match(run.stderr, `- ${field}: `)
  }
  assert.is(sshd.logins(), logins)
})

test('--limit, --only and --skip select hosts and tasks', async () => {
  const inv = inventory('select', { a1: host(1), a2: host(2) })
  const json = join(work, 'r.json')
  const run = await runKubeplay(PLAY, ['--inventory', inv, '--limit', 'a2', '--only', 'folders,config', '--skip', 'config', '--report', json], env)
  assert.is(run.code, 0, run.output)
  const r = report(json)
  assert.equal(Object.keys(r.hosts), ['a2'])
  assert.is(r.totals.changed, 1)
  assert.ok(existsSync(join(work, 'h2/etc/app')))
  assert.not.ok(existsSync(join(work, 'h2/etc/app/app.conf')))
  assert.not.ok(existsSync(join(work, 'h1')))
})

test('an unknown host key fails with how to accept it; --accept-new-host-keys records it', async () => {
  const knownHosts = join(work, 'known_hosts')
  const inv = inventory('hostkey', { a1: host(1) }, {})
  const withEmpty = inv.replace('hostkey', 'hostkey-empty')
  writeFileSync(withEmpty, readFileSync(inv, 'utf8').replace(JSON.stringify(sshd.knownHostsFile), JSON.stringify(knownHosts)))
  const refused = await runKubeplay(PLAY, ['--inventory', withEmpty], env)
  assert.is(refused.code, 2, refused.output)
  assert.match(refused.stdout, /unknown host key/)
  assert.match(refused.stdout, /--accept-new-host-keys/)
  assert.not.ok(existsSync(join(work, 'h1')), 'a command ran on a host whose key was not verified')
  const accepted = await runKubeplay(PLAY, ['--inventory', withEmpty, '--accept-new-host-keys'], env)
  assert.is(accepted.code, 0, accepted.output)
  assert.match(readFileSync(knownHosts, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `, 'm'))
  const again = await runKubeplay(PLAY, ['--inventory', withEmpty], env)
  assert.is(again.code, 0, again.output)
})

test.run()
