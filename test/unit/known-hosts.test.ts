import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { appendKnownHost, fingerprint, hashHostName, KnownHosts, keyTypeOf, parseKnownHosts } from '../../lib/ssh/known-hosts.js'

const dir = mkdtempSync(join(tmpdir(), 'kp-known-hosts-'))
const newKey = (name: string) => {
  const path = join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path])
  const [type, base64] = readFileSync(`${path}.pub`, 'utf8').split(' ')
  return { path, type, base64, blob: Buffer.from(base64, 'base64') }
}
const keyA = newKey('a')
const keyB = newKey('b')

test.after(() => rmSync(dir, { recursive: true, force: true }))

test('plain names, comma lists and [host]:port', () => {
  const known = new KnownHosts(parseKnownHosts([
    `web1 ${keyA.type} ${keyA.base64}`,
    `db1,10.0.0.5 ${keyA.type} ${keyA.base64} a comment`,
    `[10.0.0.6]:2222 ${keyB.type} ${keyB.base64}`,
  ].join('\n')))
  assert.is(known.verify('web1', 22, keyA.blob), 'match')
  assert.is(known.verify('WEB1', 22, keyA.blob), 'match', 'host names are case-insensitive')
  assert.is(known.verify('10.0.0.5', 22, keyA.blob), 'match')
  assert.is(known.verify('db1', 22, keyA.blob), 'match')
  assert.is(known.verify('10.0.0.6', 2222, keyB.blob), 'match')
  assert.is(known.verify('10.0.0.6', 22, keyB.blob), 'unknown', 'a [host]:port entry is only for that port')
  assert.is(known.verify('web1', 2222, keyA.blob), 'unknown', 'a plain entry is only for port 22')
  assert.is(known.lookup('db1', 22).length, 1)
})

test('match, changed, unknown', () => {
  const known = new KnownHosts(parseKnownHosts(`host1 ${keyA.type} ${keyA.base64}\n`))
  assert.is(known.verify('host1', 22, keyA.blob), 'match')
  assert.is(known.verify('host1', 22, keyB.blob), 'changed')
  assert.is(known.verify('host2', 22, keyB.blob), 'unknown')
})

test('comments, blank and malformed lines, markers, wildcards and negation', () => {
  const known = new KnownHosts(parseKnownHosts([
    '# a comment',
    '',
    'broken-line-without-key',
    `truncated ${keyA.type} AAAA`,
    `@cert-authority *.example ${keyB.type} ${keyB.base64}`,
    `@revoked * ${keyB.type} ${keyB.base64}`,
    `*.lab,!bad.lab ${keyA.type} ${keyA.base64}`,
  ].join('\n')))
  assert.is(known.keys.length, 2, 'only the @revoked and the wildcard lines are kept')
  assert.is(known.verify('x.example', 22, keyB.blob), 'changed', 'a revoked key never matches')
  assert.is(known.verify('n1.lab', 22, keyA.blob), 'match')
  assert.is(known.verify('bad.lab', 22, keyA.blob), 'unknown', '!pattern vetoes the line')
})

test('hashed entries written by ssh-keygen -H', () => {
  const file = join(dir, 'hashed_known_hosts')
  writeFileSync(file, `plainhost ${keyA.type} ${keyA.base64}\n[127.0.0.1]:2200 ${keyB.type} ${keyB.base64}\n`)
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' })
  const text = readFileSync(file, 'utf8')
  assert.not.match(text, 'plainhost')
  assert.match(text, /^\|1\|/)
  const known = new KnownHosts(parseKnownHosts(text))
  assert.is(known.verify('plainhost', 22, keyA.blob), 'match')
  assert.is(known.verify('127.0.0.1', 2200, keyB.blob), 'match')
  assert.is(known.verify('127.0.0.1', 2200, keyA.blob), 'changed')
  assert.is(known.verify('otherhost', 22, keyA.blob), 'unknown')
})

test('hashHostName is what ssh-keygen -F finds', () => {
  const file = join(dir, 'own_hashed')
  writeFileSync(file, `${hashHostName('[10.1.1.1]:2022')} ${keyA.type} ${keyA.base64}\n`)
  const found = execFileSync('ssh-keygen', ['-F', '[10.1.1.1]:2022', '-f', file], { encoding: 'utf8' })
  assert.match(found, keyA.base64)
})

test('fingerprint equals ssh-keygen -lf', () => {
  const output = execFileSync('ssh-keygen', ['-lf', `${keyA.path}.pub`], { encoding: 'utf8' })
  assert.is(fingerprint(keyA.blob), output.split(' ')[1])
  assert.is(keyTypeOf(keyA.blob), 'ssh-ed25519')
})

test('appendKnownHost creates the folder and a 0600 file, and adds a newline when missing', async () => {
  const file = join(dir, 'new', 'sub', 'known_hosts')
  await appendKnownHost(file, '127.0.0.1', 2222, keyA.blob)
  assert.is(statSync(file).mode & 0o777, 0o600)
  assert.is(statSync(join(dir, 'new', 'sub')).mode & 0o777, 0o700)
  writeFileSync(file, readFileSync(file, 'utf8').trimEnd()) // no trailing newline
  await appendKnownHost(file, 'web1', 22, keyB.blob, { hash: true })
  const known = await KnownHosts.read(file)
  assert.is(known.verify('127.0.0.1', 2222, keyA.blob), 'match')
  assert.is(known.verify('web1', 22, keyB.blob), 'match')
  assert.is(readFileSync(file, 'utf8').split('\n').length, 3)
  const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', file], { encoding: 'utf8' })
  assert.match(found, keyA.base64, 'OpenSSH reads what we append')
})

test('a missing known_hosts file is empty', async () => {
  const known = await KnownHosts.read(join(dir, 'does-not-exist'))
  assert.is(known.verify('x', 22, keyA.blob), 'unknown')
})

test.run()
