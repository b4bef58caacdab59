import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildCommand, raw } from '../../lib/remote.js'
import { shellQuote } from '../../lib/ssh/quote.js'

const hostile = [
  'plain',
  'with space',
  "it's",
  '"double"',
  '$(touch /tmp/kubeplay-pwned)',
  '`id`',
  '$HOME',
  'a;b && c || d | e',
  'line1\nline2',
  'tab\there',
  '*',
  '~root',
  '',
  '\\',
  "''",
  '-n',
  '!history',
  'ünïcödé ✓',
]

/** Runs a command line through a real shell and returns the words it received. */
function wordsSeenBy(shell: string, commandLine: string): string[] {
  const out = execFileSync(shell, ['-c', `for w in ${commandLine}; do printf '%s\\0' "$w"; done`], { encoding: 'utf8' })
  return out.split('\0').slice(0, -1)
}

for (const shell of ['bash', 'sh']) {
  test(`hostile values stay literal under ${shell}`, () => {
    for (const value of hostile) {
      assert.equal(wordsSeenBy(shell, shellQuote(value)), [value], `value ${JSON.stringify(value)}`)
    }
  })
}

test('an array interpolates as several quoted words', () => {
  const command = buildCommand(['', ''], [hostile])
  assert.equal(wordsSeenBy('bash', command), hostile)
})

test('buildCommand quotes every value and keeps the template text', () => {
  const cmd = buildCommand(['systemctl is-active ', ' && echo ', ''], ['nginx; reboot', 42])
  assert.is(cmd, `systemctl is-active 'nginx; reboot' && echo 42`)
})

test('raw() fragments are inserted as written', () => {
  assert.is(buildCommand(['x ', ''], [raw('| wc -l')]), 'x | wc -l')
})

test('undefined, null and objects are refused, not stringified', () => {
  for (const value of [undefined, null, { a: 1 }]) {
    assert.throws(() => buildCommand(['echo ', ''], [value]), /cannot interpolate/)
  }
})

test('no command substitution is executed', () => {
  const marker = `/tmp/kubeplay-quote-test-${process.pid}`
  execFileSync('bash', ['-c', buildCommand(['echo ', ' >/dev/null'], [`$(touch ${marker})\`touch ${marker}\``])])
  assert.not.ok(existsSync(marker))
})

test.run()
