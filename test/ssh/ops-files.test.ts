// File operations against a real sshd on 127.0.0.1, inside a temp folder only: create, idempotence, drift,
// check mode, validation, templates, lines, directories, secrets, and no temp files left behind.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fileFact } from '../../lib/facts/file.js'
import { files } from '../../lib/ops/index.js'
import { secret } from '../../lib/secrets.js'
import { Connection, type ConnectionOptions } from '../../lib/ssh/connection.js'
import { onHost, type OnHostOptions } from '../support/on-host.js'
import { startSshd, type TestSshd } from '../support/sshd.js'
import { loud } from '../support/hooks.js'

let sshd: TestSshd
let root: Connection
let dir: string

const run = <T>(body: () => Promise<T>, options?: OnHostOptions) => onHost(root, body, options)
const at = (name: string) => join(dir, name)
const read = (name: string) => readFileSync(at(name), 'utf8')
const modeOf = (name: string) => statSync(at(name)).mode & 0o7777

function connect(user: string, options: ConnectionOptions = {}): Connection {
  return new Connection(sshd.hostFor(user), { knownHostsFile: sshd.knownHostsFile, sshConfigFile: false, agentSocket: false, ...options })
}

/** Runs `body` and fails the test with its error, if any. */
async function ok<T>(body: () => Promise<T>, options?: OnHostOptions) {
  const result = await run(body, options)
  if (result.error) throw result.error
  return result
}

test.before(loud('setup of ops-files.test.ts', async () => {
  sshd = await startSshd()
  root = connect('root')
  dir = mkdtempSync(join(tmpdir(), 'kp-ops-files-'))
}))

test.after(async () => {
  await root.close()
  await sshd.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('file: created (changed), then the same again is ok with one read-only round trip', async () => {
  const first = await ok(() => files.file(at('a.conf'), { content: 'one\ntwo\n' }))
  assert.is(first.changed, 1)
  assert.is(first.commands, 2, 'one fact read, one apply')
  assert.is(first.reports[0].summary, `create ${at('a.conf')}`)
  assert.is(read('a.conf'), 'one\ntwo\n')
  assert.is(modeOf('a.conf'), 0o644)
  assert.is(statSync(at('a.conf')).uid, 0)

  const second = await ok(() => files.file(at('a.conf'), { content: 'one\ntwo\n' }))
  assert.is(second.changed, 0)
  assert.is(second.reports[0].status, 'ok')
  assert.is(second.commands, 1)
})

test('file: content drift is changed, with a unified diff labelled before/after', async () => {
  writeFileSync(at('drift.conf'), 'keep\nold\n')
  const result = await ok(() => files.file(at('drift.conf'), { content: 'keep\nnew\n' }))
  assert.is(result.changed, 1)
  const diff = result.reports[0].diff ?? ''
  assert.match(diff, `--- ${at('drift.conf')} (before)`)
  assert.match(diff, `+++ ${at('drift.conf')} (after)`)
  assert.match(diff, /\n-old\n\+new\n/)
  assert.match(diff, /\n keep\n/)
  assert.is(read('drift.conf'), 'keep\nnew\n')
})

test('file: mode-only drift is fixed in place, without rewriting the content', async () => {
  await ok(() => files.file(at('mode.conf'), { content: 'x\n', mode: '0600' }))
  chmodSync(at('mode.conf'), 0o644)
  const inode = statSync(at('mode.conf')).ino
  const result = await ok(() => files.file(at('mode.conf'), { content: 'x\n', mode: '0600' }))
  assert.is(result.changed, 1)
  assert.is(result.reports[0].summary, `${at('mode.conf')}: mode 0644 → 0600`)
  assert.is(result.reports[0].diff, undefined)
  assert.is(modeOf('mode.conf'), 0o600)
  assert.is(statSync(at('mode.conf')).ino, inode, 'same inode: not rewritten')
  assert.is((await ok(() => files.file(at('mode.conf'), { content: 'x\n', mode: 0o600 }))).changed, 0)
})

test('file: check mode reports the change and its diff, and leaves the file byte-identical', async () => {
  writeFileSync(at('check.conf'), 'before\n')
  chmodSync(at('check.conf'), 0o640)
  const before = statSync(at('check.conf'))
  const result = await ok(() => files.file(at('check.conf'), { content: 'after\n', mode: '0644' }), { check: true })
  assert.is(result.changed, 1)
  assert.match(result.reports[0].diff ?? '', /-before\n\+after/)
  assert.is(read('check.conf'), 'before\n')
  const after = statSync(at('check.conf'))
  assert.equal([after.ino, after.mtimeMs, after.mode], [before.ino, before.mtimeMs, before.mode])
  assert.not.ok(result.lines.some((l) => l.includes('(check)')), 'plan() ran no command that needed skipping')

  const create = await ok(() => files.file(at('never.conf'), { content: 'x' }), { check: true })
  assert.is(create.changed, 1)
  assert.not.ok(readdirSync(dir).includes('never.conf'))
})

test('file: a failing validate with %s names host, task, file and the output; the old file stays', async () => {
  writeFileSync(at('valid.conf'), 'good\n')
  const inode = statSync(at('valid.conf')).ino
  const result = await run(() => files.file(at('valid.conf'), {
    content: 'bad\n',
    validate: `grep -q good %s || { echo "rejected: $(cat %s)" >&2; exit 1; }`,
  }), { task: 'configure', hostName: 'web1' })
  assert.ok(result.error)
  assert.match(result.error.message, 'web1')
  assert.match(result.error.message, 'configure')
  assert.match(result.error.message, at('valid.conf'))
  assert.match(result.error.message, 'rejected: bad')
  assert.is(result.changed, 0)
  assert.is(read('valid.conf'), 'good\n')
  assert.is(statSync(at('valid.conf')).ino, inode)

  const good = await ok(() => files.file(at('valid.conf'), { content: 'good and new\n', validate: 'grep -q good %s' }))
  assert.is(good.changed, 1)
  assert.is(read('valid.conf'), 'good and new\n')
})

test('file: a failing validate without %s checks the installed file, then restores the old one', async () => {
  writeFileSync(at('tree.conf'), 'good\n')
  const inode = statSync(at('tree.conf')).ino
  const path = at('tree.conf')
  const result = await run(() => files.file(path, {
    content: 'bad\n',
    validate: `sh -c 'echo "saw: $(cat ${path})"; grep -q good ${path}'`,
  }))
  assert.ok(result.error)
  assert.match(result.error.message, 'saw: bad', 'the validator saw the new file in place')
  assert.match(result.error.message, path)
  assert.is(read('tree.conf'), 'good\n')
  assert.is(statSync(at('tree.conf')).ino, inode, 'the very same old file is back')

  const fresh = await run(() => files.file(at('new-tree.conf'), { content: 'bad\n', validate: 'false' }))
  assert.ok(fresh.error)
  assert.not.ok(readdirSync(dir).includes('new-tree.conf'), 'a new file that fails validation is removed')

  const good = await ok(() => files.file(path, { content: 'good too\n', validate: `grep -q good ${path}` }))
  assert.is(good.changed, 1)
  assert.is(read('tree.conf'), 'good too\n')
})

test('file: a handler is notified only when something changed, and not when validation failed', async () => {
  const changed = await ok(() => files.file(at('notify.conf'), { content: '1\n', notify: 'restart x' }))
  assert.equal(changed.notified, ['restart x'])
  const same = await ok(() => files.file(at('notify.conf'), { content: '1\n', notify: 'restart x' }))
  assert.equal(same.notified, [])
  const failed = await run(() => files.file(at('notify.conf'), { content: '2\n', validate: 'false', notify: 'restart x' }))
  assert.ok(failed.error)
  assert.equal(failed.notified, [])
})

test('file: binary content and content without a final newline are written exactly', async () => {
  const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 39, 34, 36])
  const result = await ok(() => files.file(at('blob.bin'), { content: bytes }))
  assert.is(result.changed, 1)
  assert.ok(readFileSync(at('blob.bin')).equals(bytes))
  assert.is((await ok(() => files.file(at('blob.bin'), { content: bytes }))).changed, 0)
  assert.match((await ok(() => files.file(at('blob.bin'), { content: Buffer.from([0, 9]) }))).reports[0].diff ?? '', 'binary content changed')

  const fact = await ok(() => files.file(at('tail.txt'), { content: 'no newline\ncontent:\n' }))
  assert.is(fact.changed, 1)
  const read = await ok(() => fileFact(at('tail.txt'), { content: true }))
  assert.is(read.value?.exists && read.value.content, 'no newline\ncontent:\n')
})

test('template: renders from files/ without HTML escaping; a missing variable is an error', async () => {
  const vars = { title: 'Tom & "Jerry" <b>', port: 8443, backend: 'a<b>', servers: [{ name: 'm1', address: '10.0.0.1' }, { name: 'm2', address: '10.0.0.2' }] }
  const result = await ok(() => files.template(at('greeting.conf'), 'test/greeting.conf.mustache', vars, { mode: '0640' }))
  assert.is(result.changed, 1)
  assert.is(read('greeting.conf'), '# Tom & "Jerry" <b>\nlisten 8443;\nupstream a<b>;\nserver m1 10.0.0.1;\nserver m2 10.0.0.2;\n')
  assert.is(modeOf('greeting.conf'), 0o640)
  assert.is((await ok(() => files.template(at('greeting.conf'), 'test/greeting.conf.mustache', vars, { mode: '0640' }))).changed, 0)

  const missing = await run(() => files.template(at('greeting2.conf'), 'test/greeting.conf.mustache', { title: 't', backend: 'b' }))
  assert.ok(missing.error)
  assert.match(missing.error.message, '{{port}}')
  assert.not.ok(readdirSync(dir).includes('greeting2.conf'))
})

test('line: present appends or replaces the last match; absent removes; both idempotent; mode kept', async () => {
  writeFileSync(at('lines.conf'), '# settings\nx=1\ny=2\nx=3\n')
  chmodSync(at('lines.conf'), 0o600)
  const replace = await ok(() => files.line(at('lines.conf'), { line: 'x=9', regexp: /^x=/ }))
  assert.is(replace.changed, 1)
  assert.is(read('lines.conf'), '# settings\nx=1\ny=2\nx=9\n')
  assert.is(modeOf('lines.conf'), 0o600)
  assert.is((await ok(() => files.line(at('lines.conf'), { line: 'x=9', regexp: /^x=/ }))).changed, 0)

  assert.is((await ok(() => files.line(at('lines.conf'), { line: 'z=1' }))).changed, 1)
  assert.is(read('lines.conf'), '# settings\nx=1\ny=2\nx=9\nz=1\n')
  assert.is((await ok(() => files.line(at('lines.conf'), { line: 'z=1' }))).changed, 0)

  const remove = await ok(() => files.line(at('lines.conf'), { line: '', regexp: '^x=', state: 'absent' }))
  assert.is(remove.reports[0].summary, `${at('lines.conf')}: remove 2 lines`)
  assert.is(read('lines.conf'), '# settings\ny=2\nz=1\n')
  assert.is((await ok(() => files.line(at('lines.conf'), { line: '', regexp: '^x=', state: 'absent' }))).changed, 0)

  assert.is((await ok(() => files.line(at('created.conf'), { line: 'only' }))).changed, 1)
  assert.is(read('created.conf'), 'only\n')
  assert.is((await ok(() => files.line(at('missing.conf'), { line: 'gone', state: 'absent' }))).changed, 0)
})

test('directory: created with parents, mode drift fixed, then ok; absent removes it', async () => {
  const path = at('d/e/f')
  assert.is((await ok(() => files.directory(path, { mode: '0750' }))).changed, 1)
  assert.is(modeOf('d/e/f'), 0o750)
  assert.ok(statSync(path).isDirectory())
  assert.is((await ok(() => files.directory(path, { mode: '0750' }))).changed, 0)
  chmodSync(path, 0o700)
  const drift = await ok(() => files.directory(path, { mode: '0750' }))
  assert.is(drift.reports[0].summary, `${path}: mode 0700 → 0750`)
  assert.is((await ok(() => files.directory(path, { mode: '0750' }))).changed, 0)

  const notDir = await run(() => files.directory(at('a.conf')))
  assert.match(notDir.error?.message ?? '', 'not a directory')

  assert.is((await ok(() => files.absent(at('d')))).changed, 1)
  assert.not.ok(readdirSync(dir).includes('d'))
  assert.is((await ok(() => files.absent(at('d')))).changed, 0)
})

test('through password sudo (non-root login): the content arrives exact and owned by root', async () => {
  const user = connect(sshd.users.pwsudoer, { sudoPassword: async () => sshd.pwsudoerPassword })
  const onPw = (body: () => Promise<unknown>) => onHost(user, body)
  try {
    const content = 'via sudo\n'.repeat(100)
    const result = await onPw(() => files.file(at('sudo.conf'), { content, mode: '0600' }))
    if (result.error) throw result.error
    assert.is(read('sudo.conf'), content)
    assert.is(statSync(at('sudo.conf')).uid, 0)
    assert.is((await onPw(() => files.file(at('sudo.conf'), { content, mode: '0600' }))).changed, 0)
  } finally {
    await user.close()
  }
})

test('a secret in the content appears in neither diff nor log; secret: true shows no content at all', async () => {
  const token = secret('kp-token-5f1e9c0b7a')
  writeFileSync(at('app.env'), 'TOKEN=old-value\n')
  const result = await ok(() => files.file(at('app.env'), { content: `TOKEN=${token}\n`, mode: '0600' }))
  assert.is(result.changed, 1)
  assert.not.match(result.reports[0].diff ?? '', token)
  assert.match(result.reports[0].diff ?? '', '+TOKEN=********')
  assert.not.ok(result.lines.join('\n').includes(token))

  const again = await ok(() => files.file(at('app.env'), { content: `TOKEN=${token}\n`, mode: '0600' }))
  assert.is(again.changed, 0)
  assert.not.ok(again.lines.join('\n').includes(token), 'the fact read of the file is masked in the log too')

  const unregistered = 'not-registered-but-secret-4711'
  writeFileSync(at('key.pem'), 'old key\n')
  const hidden = await ok(() => files.file(at('key.pem'), { content: `${unregistered}\n`, mode: '0600', secret: true }))
  assert.is(hidden.changed, 1)
  assert.not.match(hidden.reports[0].diff ?? '', unregistered)
  assert.not.match(hidden.reports[0].diff ?? '', 'old key')
  assert.match(hidden.reports[0].diff ?? '', 'secret, not shown')
  const log = hidden.lines.join('\n')
  assert.not.ok(log.includes(unregistered) || log.includes('old key'), 'neither old nor new content is read or logged')
  assert.is(read('key.pem'), `${unregistered}\n`)
})

test('no temp files are left behind, whatever happened', () => {
  const leftovers = (path: string): string[] => readdirSync(path, { withFileTypes: true }).flatMap((entry) => [
    ...(entry.name.includes('.kubeplay.') ? [join(path, entry.name)] : []),
    ...(entry.isDirectory() ? leftovers(join(path, entry.name)) : []),
  ])
  assert.equal(leftovers(dir), [])
  assert.ok(readdirSync(dir).length > 10, 'the tests did write here')
})

test.run()
