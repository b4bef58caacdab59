// Operations started together (Promise.all) against a real sshd: their facts go out in one command, their changes
// in one more, applied in the order they were called; once one fails the later ones do not apply.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { files } from '../../lib/ops/index.js'
import { Connection } from '../../lib/ssh/connection.js'
import { onHost } from '../support/on-host.js'
import { startSshd, type TestSshd } from '../support/sshd.js'
import { loud } from '../support/hooks.js'

let sshd: TestSshd
let root: Connection
let dir: string

const at = (name: string) => join(dir, name)
const NAMES = ['a', 'b', 'c', 'd', 'e']

/** A directory and five files in it, started together. */
const fiveFilesInADirectory = (sub: string) => Promise.all([
  files.directory(at(sub)),
  ...NAMES.map((n) => files.file(at(`${sub}/${n}.conf`), { content: `${n}\n` })),
])

test.before(loud('setup of ops-together.test.ts', async () => {
  sshd = await startSshd()
  root = new Connection(sshd.hostFor('root'), { knownHostsFile: sshd.knownHostsFile, sshConfigFile: false, agentSocket: false })
  dir = mkdtempSync(join(tmpdir(), 'kp-ops-together-'))
}))

test.after(async () => {
  await root.close()
  await sshd.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('six operations started together: one command reads all their facts, one applies them in call order', async () => {
  const first = await onHost(root, () => fiveFilesInADirectory('one'))
  if (first.error) throw first.error
  assert.is(first.changed, 6)
  assert.is(first.commands, 2, 'one fact read for all six, one command for the six changes')
  assert.equal(first.reports.map((r) => r.op), [`directory ${at('one')}`, ...NAMES.map((n) => `file ${at(`one/${n}.conf`)}`)])
  assert.is(readFileSync(at('one/c.conf'), 'utf8'), 'c\n', 'the files went into the directory made by the first operation')

  const again = await onHost(root, () => fiveFilesInADirectory('one'))
  assert.is(again.changed, 0)
  assert.is(again.commands, 1, 'a converged host: one round trip for six operations')
  const factReads = again.lines.filter((l) => l.includes('__kubeplay_fact_'))
  assert.ok(factReads.length >= 1, 'the run log shows the fact read')
})

test('the same operations awaited one by one: one fact read each (so the batching above is real)', async () => {
  await onHost(root, () => fiveFilesInADirectory('two'))
  const oneByOne = await onHost(root, async () => {
    await files.directory(at('two'))
    for (const n of NAMES) await files.file(at(`two/${n}.conf`), { content: `${n}\n` })
  })
  assert.is(oneByOne.changed, 0)
  assert.is(oneByOne.commands, 6)
})

test('once an operation fails, the ones called after it in the same group do not apply', async () => {
  const result = await onHost(root, () => Promise.all([
    files.file(at('before.conf'), { content: 'x\n' }),
    files.file(at('no-such-dir/x.conf'), { content: 'x\n' }),
    files.file(at('after.conf'), { content: 'x\n' }),
  ]))
  assert.ok(result.error, 'the group failed')
  assert.match(result.error!.message, 'no-such-dir')
  assert.ok(existsSync(at('before.conf')), 'the operation called before the failure applied')
  assert.not.ok(existsSync(at('after.conf')), 'the operation called after the failure did not apply')
  assert.equal(result.reports.map((r) => r.op), [`file ${at('before.conf')}`])
  assert.is(result.commands, 2, 'the three changes went in one command')
})

test('after the task caught a failure, an operation started later applies', async () => {
  const result = await onHost(root, async () => {
    const failed = await Promise.all([
      files.file(at('no-such-dir/y.conf'), { content: 'y\n' }),
      files.file(at('skipped.conf'), { content: 'y\n' }),
    ]).then(() => undefined, (error: Error) => error)
    assert.ok(failed, 'the group failed')
    await files.file(at('later.conf'), { content: 'later\n' })
  })
  if (result.error) throw result.error
  assert.not.ok(existsSync(at('skipped.conf')), 'started with the failing one: not applied')
  assert.is(readFileSync(at('later.conf'), 'utf8'), 'later\n')
})

test('an operation awaited alone between groups is applied alone, in its place', async () => {
  const result = await onHost(root, async () => {
    await Promise.all([files.directory(at('four')), files.file(at('four/a.conf'), { content: 'a\n' })])
    await files.line(at('four/a.conf'), { line: 'b' })
    await Promise.all([files.file(at('four/c.conf'), { content: 'c\n' }), files.absent(at('four/missing.conf'))])
  })
  if (result.error) throw result.error
  assert.is(readFileSync(at('four/a.conf'), 'utf8'), 'a\nb\n')
  assert.equal(result.reports.map((r) => r.status), ['changed', 'changed', 'changed', 'changed', 'ok'])
  assert.is(result.commands, 2 + 2 + 2, 'facts and one apply for each group and for the line')
})

test('two operations on one file started together fail before reading a fact; awaited one by one they work', async () => {
  const path = at('both.conf')
  const together = await onHost(root, () => Promise.allSettled([
    files.file(path, { content: 'a\n' }),
    files.line(path, { line: 'b' }),
    files.file(at('other.conf'), { content: 'other\n' }),
  ]).then((settled) => {
    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []))
    assert.is(errors.length, 3, 'every operation of the group failed')
    throw errors[1]
  }))
  assert.ok(together.error, 'the group was accepted')
  assert.match(together.error!.message, `"file ${path}" and "line in ${path}" were started together`)
  assert.match(together.error!.message, `both change ${path}`)
  assert.not.ok(existsSync(path), 'nothing of the group applied')
  assert.not.ok(existsSync(at('other.conf')), 'nothing of the group applied')

  const oneByOne = await onHost(root, async () => {
    await files.file(path, { content: 'a\n' })
    await files.line(path, { line: 'b' })
  })
  if (oneByOne.error) throw oneByOne.error
  assert.is(readFileSync(path, 'utf8'), 'a\nb\n')
})

test('check mode: the group reads its facts once and changes nothing', async () => {
  const check = await onHost(root, () => fiveFilesInADirectory('three'), { check: true })
  if (check.error) throw check.error
  assert.is(check.changed, 6)
  assert.is(check.commands, 1)
  assert.not.ok(existsSync(at('three')))
})

test.run()
