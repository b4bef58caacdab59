import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CommandError } from '../../lib/errors.js'
import { MemoryLog } from '../../lib/log.js'
import { MASK, mask, secret } from '../../lib/secrets.js'

const token = secret('abcdef.0123456789abcdef')
const certKey = secret('f'.repeat(64))

test('mask replaces every occurrence of every secret', () => {
  const text = `kubeadm join --token ${token} --certificate-key ${certKey} # ${token}`
  const masked = mask(text)
  assert.not.match(masked, token)
  assert.not.match(masked, certKey)
  assert.is(masked.split(MASK).length - 1, 3)
})

test('short values are not registered (they would mask common words)', () => {
  secret('ab')
  assert.is(mask('ab cab'), 'ab cab')
})

test('command errors are masked', () => {
  const error = new CommandError('m1', 'kubeadm', `kubeadm join --token ${token}`, 1, `bad token ${token}`)
  assert.not.match(error.message, token)
  assert.match(error.message, /command failed on m1 \(task kubeadm\) with exit code 1/)
  assert.match(error.message, /bad token \*{8}/)
})

test('the log masks commands, output and reports', () => {
  const log = new MemoryLog()
  log.command('m1', 't', `echo ${certKey}`, { stdout: certKey, stderr: '', code: 0 }, 1)
  log.report('m1', 't', { op: 'file', status: 'changed', summary: token })
  log.note('m1', 't', `note ${token}`)
  const all = log.lines.join('\n')
  assert.not.match(all, token)
  assert.not.match(all, certKey)
})

test.run()
