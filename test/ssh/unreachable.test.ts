// Unreachable hosts on loopback only: a closed port (refused), a server that never speaks SSH (timeout),
// and a jump host that cannot reach its target.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Connection } from '../../lib/ssh/connection.js'
import { UnreachableError } from '../../lib/ssh/errors.js'
import { startSilentServer } from '../support/freezable-proxy.js'
import { freePort, startSshd, type TestSshd } from '../support/sshd.js'
import { loud } from '../support/hooks.js'

let sshd: TestSshd
const options = { knownHostsFile: '/dev/null', sshConfigFile: false as const, agentSocket: false as const }

test.before(loud('setup of unreachable.test.ts', async () => {
  sshd = await startSshd()
}))

test.after(() => sshd.stop())

test('a closed port is UnreachableError, fast, naming the host and address:port', async () => {
  const port = await freePort()
  const closed = new Connection({ ...sshd.hostFor('root', 'kube-node09'), port }, options)
  const start = Date.now()
  const error = await closed.exec('true').catch((err: Error) => err)
  assert.instance(error, UnreachableError)
  assert.ok(Date.now() - start < 1000, `took ${Date.now() - start} ms`)
  assert.match((error as Error).message, `kube-node09 (127.0.0.1:${port}): unreachable: connection refused`)
  assert.is(await closed.exec('true').catch((err: Error) => err), error, 'the failure is remembered, not retried')
})

test('a server that never sends an SSH banner is UnreachableError after the connect timeout', async () => {
  const silent = await startSilentServer()
  try {
    const mute = new Connection({ ...sshd.hostFor('root'), port: silent.port }, { ...options, connectTimeoutMs: 500 })
    const start = Date.now()
    const error = await mute.connect().catch((err: Error) => err)
    const elapsed = Date.now() - start
    assert.instance(error, UnreachableError)
    assert.ok(elapsed >= 450 && elapsed < 2000, `took ${elapsed} ms`)
    assert.match((error as Error).message, /no SSH handshake within 0.5 s/)
    await mute.close()
  } finally {
    await silent.close()
  }
})

test('a jump host that cannot reach the target: UnreachableError naming both', async () => {
  const port = await freePort()
  const target = new Connection(
    { ...sshd.hostFor('root', 'behind-jump'), port, jump: `root@127.0.0.1:${sshd.port}` },
    { ...options, knownHostsFile: sshd.knownHostsFile },
  )
  const error = await target.connect().catch((err: Error) => err)
  assert.instance(error, UnreachableError)
  assert.match((error as Error).message, `behind-jump (127.0.0.1:${port}): unreachable through jump host 127.0.0.1:${sshd.port}`)
  await target.close()
})

test.run()
