// Host key checking against a real sshd: unknown keys refused (nothing runs), accept-new, changed keys refused.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Connection, type ConnectionOptions } from '../../lib/ssh/connection.js'
import { HostKeyChangedError, HostKeyUnknownError } from '../../lib/ssh/errors.js'
import { startSshd, type TestSshd } from '../support/sshd.js'
import { loud } from '../support/hooks.js'

let sshd: TestSshd
let expectedFingerprint: string

const connection = (options: ConnectionOptions) =>
  new Connection(sshd.hostFor('root'), { sshConfigFile: false, agentSocket: false, ...options })

test.before(loud('setup of host-keys.test.ts', async () => {
  sshd = await startSshd()
  expectedFingerprint = execFileSync('ssh-keygen', ['-lf', `${sshd.dir}/host_ed25519.pub`], { encoding: 'utf8' }).split(' ')[1]
}))

test.after(() => sshd.stop())

test('an unknown host key is refused with the fingerprint and how to accept it; nothing runs', async () => {
  const knownHostsFile = `${sshd.dir}/empty_known_hosts`
  const marker = `${sshd.dir}/must-not-exist`
  const unknown = connection({ knownHostsFile })
  const error = await unknown.exec(`touch ${marker}`).catch((err: Error) => err)
  assert.instance(error, HostKeyUnknownError)
  const message = (error as Error).message
  assert.match(message, expectedFingerprint)
  assert.match(message, '--accept-new-host-keys')
  assert.match(message, `ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${knownHostsFile}`)
  assert.is((error as HostKeyUnknownError).fingerprint, expectedFingerprint)
  assert.not.ok(existsSync(marker), 'the command did not run')
  assert.is(sshd.logins(), 0, 'no login happened')
  assert.not.ok(existsSync(knownHostsFile), 'nothing was recorded')
  await unknown.close()
})

test('acceptNewHostKeys records the key (0600 file), and the next connection verifies it', async () => {
  const knownHostsFile = `${sshd.dir}/accept/known_hosts`
  const first = connection({ knownHostsFile, acceptNewHostKeys: true })
  assert.is((await first.exec('echo hi')).stdout, 'hi\n')
  assert.equal(first.hostKey, { type: 'ssh-ed25519', fingerprint: expectedFingerprint, accepted: true })
  assert.is(readFileSync(knownHostsFile, 'utf8'), `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}\n`)
  const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', knownHostsFile], { encoding: 'utf8' })
  assert.match(found, sshd.hostKeyPub, 'OpenSSH finds the recorded key')
  const second = connection({ knownHostsFile })
  assert.is((await second.exec('echo again')).stdout, 'again\n')
  assert.is(second.hostKey?.accepted, false)
  await Promise.all([first.close(), second.close()])
})

test('a hashed known_hosts entry (ssh-keygen -H) is honoured', async () => {
  const knownHostsFile = `${sshd.dir}/hashed_known_hosts`
  writeFileSync(knownHostsFile, readFileSync(sshd.knownHostsFile))
  execFileSync('ssh-keygen', ['-H', '-f', knownHostsFile], { stdio: 'ignore' })
  assert.match(readFileSync(knownHostsFile, 'utf8'), /^\|1\|/)
  const hashed = connection({ knownHostsFile })
  assert.is((await hashed.exec('echo ok')).stdout, 'ok\n')
  await hashed.close()
})

test('a changed host key is refused even with acceptNewHostKeys, showing both fingerprints and the fix', async () => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', `${sshd.dir}/impostor`])
  const impostor = readFileSync(`${sshd.dir}/impostor.pub`, 'utf8').split(' ').slice(0, 2).join(' ')
  const impostorFingerprint = execFileSync('ssh-keygen', ['-lf', `${sshd.dir}/impostor.pub`], { encoding: 'utf8' }).split(' ')[1]
  const knownHostsFile = `${sshd.dir}/changed_known_hosts`
  const original = `[127.0.0.1]:${sshd.port} ${impostor}\n`
  writeFileSync(knownHostsFile, original)
  const logins = sshd.logins()
  const changed = connection({ knownHostsFile, acceptNewHostKeys: true })
  const error = await changed.exec('true').catch((err: Error) => err)
  assert.instance(error, HostKeyChangedError)
  const message = (error as Error).message
  assert.match(message, 'HOST KEY CHANGED')
  assert.match(message, impostorFingerprint)
  assert.match(message, expectedFingerprint)
  assert.match(message, `ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f ${knownHostsFile}`)
  assert.is(readFileSync(knownHostsFile, 'utf8'), original, 'the file is untouched')
  assert.is(sshd.logins(), logins, 'no login happened')
  await changed.close()
})

test.run()
