// Connection against a real sshd: exec, concurrency, reuse, upload, sudo, timeouts, a dying connection.
import { existsSync, writeFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Connection, type ConnectionOptions } from '../../lib/ssh/connection.js'
import { AuthError, CommandAbortedError, CommandTimeoutError, ConnectionLostError } from '../../lib/ssh/errors.js'
import { shellQuote } from '../../lib/ssh/quote.js'
import { startFreezableProxy } from '../support/freezable-proxy.js'
import { startSshd, type TestSshd } from '../support/sshd.js'
import { loud } from '../support/hooks.js'

let sshd: TestSshd
const opened: Connection[] = []
const warnings: Error[] = []
const onWarning = (warning: Error) => warnings.push(warning)

function open(user: string, options: ConnectionOptions = {}): Connection {
  const connection = new Connection(sshd.hostFor(user), { knownHostsFile: sshd.knownHostsFile, sshConfigFile: false, agentSocket: false, ...options })
  opened.push(connection)
  return connection
}

test.before(loud('setup of connection.test.ts', async () => {
  sshd = await startSshd()
  process.on('warning', onWarning)
}))

test.after(async () => {
  process.off('warning', onWarning)
  await Promise.all(opened.map((connection) => connection.close()))
  await sshd.stop()
})

test('exec returns stdout, stderr and the exit code, untrimmed, and never throws for a failure', async () => {
  const root = open('root')
  const result = await root.exec('echo " out "; echo err >&2; exit 3')
  assert.equal(result, { stdout: ' out \n', stderr: 'err\n', code: 3 })
  assert.equal(await root.exec('kill -9 $$'), { stdout: '', stderr: '', code: 137, signal: 'SIGKILL' })
})

test('commands run under bash with LC_ALL=C; quotes, $ and newlines reach bash intact', async () => {
  const root = open('root')
  const result = await root.exec(`[[ -n $BASH_VERSION ]] && echo "$LC_ALL" && printf '%s|' "it's" '$HOME' "a
b"`)
  assert.is(result.stdout, "C\nit's|$HOME|a\nb|")
})

test('stdin reaches the command, including binary data and UTF-8', async () => {
  const root = open('root')
  assert.is((await root.exec('cat', { stdin: 'héllo\nwörld' })).stdout, 'héllo\nwörld')
  const bytes = Buffer.from([0, 255, 10, 13, 39, 34])
  assert.is((await root.exec('od -An -tx1', { stdin: bytes })).stdout.trim(), '00 ff 0a 0d 27 22')
})

test('100 concurrent execs on one connection: no channel failures, no MaxListeners warning, one login', async () => {
  const before = sshd.logins()
  const root = open('root')
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => root.exec(`echo ${i} $SSH_CONNECTION`)))
  results.forEach((result, i) => {
    assert.is(result.code, 0)
    assert.ok(result.stdout.startsWith(`${i} 127.0.0.1 `), result.stdout)
  })
  const sourcePorts = new Set(results.map((result) => result.stdout.split(' ')[2]))
  assert.is(sourcePorts.size, 1, 'every exec came over the same TCP connection')
  assert.is(sshd.logins() - before, 1, 'sshd saw a single login')
  assert.is(root.stats.connects, 1)
  assert.is(root.stats.commands, 100)
  assert.equal(warnings.map((w) => w.name), [])
})

test('concurrent first uses share one connect', async () => {
  const before = sshd.logins()
  const root = open('root')
  await Promise.all([root.connect(), root.exec('true'), root.exec('true'), root.connect()])
  assert.is(sshd.logins() - before, 1)
})

test('exec latency: median of 20 `true` is a few ms (setNoDelay in effect)', async () => {
  const root = open('root')
  await root.connect()
  const times: number[] = []
  for (let i = 0; i < 20; i++) {
    const start = performance.now()
    await root.exec('true')
    times.push(performance.now() - start)
  }
  const median = times.sort((a, b) => a - b)[10]
  assert.ok(median < 50, `median ${median.toFixed(1)} ms`)
})

test('putContent writes quotes, newlines and binary exactly, with the mode', async () => {
  const root = open('root')
  const content = Buffer.concat([Buffer.from(`it's "quoted" $(not run) \`nor this\`\nline 2\n`), Buffer.from([0, 1, 254, 255])])
  const path = `${sshd.dir}/upload it's.bin`
  await root.putContent(path, content, { mode: 0o640 })
  const check = await root.exec(`base64 -w0 ${shellQuote(path)}; echo; stat -c %a ${shellQuote(path)}`)
  const [base64, mode] = check.stdout.trim().split('\n')
  assert.is(base64, content.toString('base64'))
  assert.is(mode, '640')
})

test('putContent fails loudly when the file cannot be written', async () => {
  const root = open('root')
  try {
    await root.putContent('/nonexistent-dir/x', 'data', { mode: 0o644 })
    assert.unreachable('should have thrown')
  } catch (err) {
    assert.match((err as Error).message, /cannot write \/nonexistent-dir\/x/)
  }
})

test('a NOPASSWD sudoer runs commands as root by default, as itself with sudo: false, and can write /etc', async () => {
  const sudoer = open(sshd.users.sudoer)
  assert.is((await sudoer.exec('id -u')).stdout, '0\n')
  assert.is((await sudoer.exec('id -un', { sudo: false })).stdout, `${sshd.users.sudoer}\n`)
  const path = `/etc/kubeplay-test-${sshd.port}`
  await sudoer.putContent(path, 'root-owned\n', { mode: 0o600 })
  assert.is((await sudoer.exec(`stat -c '%U %a' ${path}; cat ${path}; rm ${path}`)).stdout, 'root 600\nroot-owned\n')
})

test('a password sudoer: the provider is asked once for many execs, stdin still works, the password is never on a command line', async () => {
  let asked = 0
  const provider = async () => { asked++; return sshd.pwsudoerPassword }
  const pw = open(sshd.users.pwsudoer, { sudoPassword: provider })
  const root = open('root')
  const slow = pw.exec('sleep 3; id -u')
  // Look while the sudo command runs (a busy machine may take a while to start it).
  let processes = ''
  for (let i = 0; i < 25 && !processes.includes('sleep 3'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    processes = (await root.exec('ps -eo args')).stdout
  }
  const results = await Promise.all([slow, ...Array.from({ length: 20 }, () => pw.exec('id -u'))])
  assert.ok(results.every((result) => result.stdout === '0\n'), JSON.stringify(results[0]))
  assert.is(asked, 1)
  assert.ok(processes.includes('sleep 3'), 'ps saw the sudo command')
  assert.not.ok(processes.includes(sshd.pwsudoerPassword), 'the password is not in any command line')
  assert.is((await pw.exec('cat', { stdin: 'line 1\nline 2\n' })).stdout, 'line 1\nline 2\n')
  await pw.putContent('/etc/kubeplay-pw-test', 'x', { mode: 0o644 })
  assert.is((await pw.exec('cat /etc/kubeplay-pw-test; rm /etc/kubeplay-pw-test')).stdout, 'x')
})

test('a password sudoer without a password, or with a wrong one, is an AuthError', async () => {
  for (const sudoPassword of [undefined, async () => undefined, async () => 'wrong password']) {
    const pw = open(sshd.users.pwsudoer, { sudoPassword })
    const error = await pw.exec('id -u').catch((err: Error) => err)
    assert.instance(error, AuthError)
    assert.match((error as Error).message, sshd.users.pwsudoer)
    assert.is((await pw.exec('id -un', { sudo: false })).stdout, `${sshd.users.pwsudoer}\n`, 'non-sudo commands still work')
  }
})

test('a key the server does not know is an AuthError naming the user', async () => {
  const stranger = new Connection({ ...sshd.hostFor('root'), key: `${sshd.dir}/host_ed25519` }, { knownHostsFile: sshd.knownHostsFile, sshConfigFile: false, agentSocket: false })
  const error = await stranger.connect().catch((err: Error) => err)
  assert.instance(error, AuthError)
  assert.match((error as Error).message, /authentication failed for user root/)
  await stranger.close()
})

test('a missing inventory key file is an AuthError', async () => {
  const missing = new Connection({ ...sshd.hostFor('root'), key: '/nonexistent/key' }, { knownHostsFile: sshd.knownHostsFile, sshConfigFile: false, agentSocket: false })
  const error = await missing.connect().catch((err: Error) => err)
  assert.instance(error, AuthError)
  assert.match((error as Error).message, '/nonexistent/key')
})

test('a command timeout kills the command and leaves the connection usable', async () => {
  const root = open('root')
  const start = Date.now()
  const marker = `${sshd.dir}/timeout-marker`
  const error = await root.exec(`sleep 2; touch ${marker}`, { timeoutMs: 300 }).catch((err: Error) => err)
  assert.instance(error, CommandTimeoutError)
  assert.ok(Date.now() - start < 2000)
  await new Promise((resolve) => setTimeout(resolve, 2500))
  assert.not.ok(existsSync(marker), 'the timed-out command went on running on the host')
  assert.is((await root.exec('echo still here')).stdout, 'still here\n')
})

test('a host that stops answering mid-command fails through the keepalive instead of hanging', async () => {
  const proxy = await startFreezableProxy(sshd.port)
  try {
    const host = { ...sshd.hostFor('root'), port: proxy.port }
    const knownHostsFile = `${sshd.dir}/known_hosts_proxy`
    writeFileSync(knownHostsFile, `[127.0.0.1]:${proxy.port} ${sshd.hostKeyPub}\n`)
    const dying = new Connection(host, { knownHostsFile, sshConfigFile: false, agentSocket: false, keepaliveIntervalMs: 200, keepaliveCountMax: 2 })
    opened.push(dying)
    assert.is((await dying.exec('echo up')).stdout, 'up\n')
    const start = Date.now()
    const running = dying.exec('sleep 30').catch((err: Error) => err)
    await new Promise((resolve) => setTimeout(resolve, 100))
    proxy.freeze()
    const error = await running
    assert.instance(error, ConnectionLostError)
    assert.ok(Date.now() - start < 5000, `took ${Date.now() - start} ms`)
    const next = await dying.exec('echo back')
    assert.is(next.stdout, 'back\n', 'the next command runs over a new connection')
    assert.is(dying.stats.connects, 2)
  } finally {
    await proxy.close()
  }
})

test('a dropped connection is reopened once; a second drop fails the host, fast, from then on', async () => {
  const proxy = await startFreezableProxy(sshd.port)
  try {
    const dropping = throughProxy(proxy.port, 'dropping')
    const logins = sshd.logins()
    assert.is((await dropping.exec('echo one')).stdout, 'one\n')
    proxy.cut()
    await waitFor(() => dropping.exec('true').then(() => dropping.stats.connects === 2))
    assert.is((await dropping.exec('echo two')).stdout, 'two\n', 'reconnected')
    assert.is(sshd.logins() - logins, 2)

    proxy.cut()
    const error = await waitForError(() => dropping.exec('echo three'))
    assert.instance(error, ConnectionLostError)
    assert.match(error.message, /^dropping \(127\.0\.0\.1:\d+\): connection lost/)
    assert.is(await dropping.exec('true').catch((err: Error) => err), error, 'no second reconnect: the same error at once')
    assert.is(dropping.stats.connects, 2)
  } finally {
    await proxy.close()
  }
})

test('when the one reconnect fails, the error says the connection was lost and why the reconnect failed', async () => {
  const proxy = await startFreezableProxy(sshd.port)
  const gone = throughProxy(proxy.port, 'gone')
  assert.is((await gone.exec('echo one')).stdout, 'one\n')
  await proxy.close() // the host is gone for good: the reconnect is refused
  const start = Date.now()
  const error = await waitForError(() => gone.exec('echo two'))
  assert.instance(error, ConnectionLostError)
  assert.match(error.message, /^gone \(127\.0\.0\.1:\d+\): connection lost.*; one reconnect was tried and failed: .*connection refused/)
  assert.ok(Date.now() - start < 3000, `took ${Date.now() - start} ms`)
  assert.is(gone.stats.connects, 1)
})

function throughProxy(port: number, name: string): Connection {
  const knownHostsFile = `${sshd.dir}/known_hosts_${name}`
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${sshd.hostKeyPub}\n`)
  const connection = new Connection({ ...sshd.hostFor('root', name), port }, { knownHostsFile, sshConfigFile: false, agentSocket: false, connectTimeoutMs: 2000 })
  opened.push(connection)
  return connection
}

/** The drop is seen when the socket closes, or when the next write fails: either way, this command fails. */
async function waitForError(exec: () => Promise<unknown>): Promise<Error> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const error = await exec().then(() => undefined, (err: Error) => err)
    if (error) return error
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the command kept succeeding')
}

test('abortRunning kills the running commands (CommandAbortedError); the connection still serves later ones', async () => {
  const root = open('root')
  const marker = `${sshd.dir}/abort-marker`
  const running = root.exec(`sleep 3.21; touch ${marker}`).catch((err: Error) => err)
  await waitFor(async () => (await root.exec(`pgrep -f '^sleep 3.21$' >/dev/null`)).code === 0)
  await root.abortRunning('interrupted')
  const error = await running
  assert.instance(error, CommandAbortedError)
  assert.match((error as Error).message, 'command aborted (interrupted)')
  await new Promise((resolve) => setTimeout(resolve, 3500))
  assert.not.ok(existsSync(marker), 'the aborted command went on running on the host')
  assert.is((await root.exec('echo after')).stdout, 'after\n')
})

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test('through a jump host (ProxyJump-style [user@]host:port): works, two logins', async () => {
  const before = sshd.logins()
  const viaJump = open('root', {})
  const jumped = new Connection({ ...sshd.hostFor('root'), jump: `root@127.0.0.1:${sshd.port}` }, { knownHostsFile: sshd.knownHostsFile, sshConfigFile: false, agentSocket: false })
  opened.push(jumped)
  assert.is((await jumped.exec('echo via jump')).stdout, 'via jump\n')
  assert.is(sshd.logins() - before, 2, 'the jump connection and the target connection')
  await viaJump.close()
})

test.run()
