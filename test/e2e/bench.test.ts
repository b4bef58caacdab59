// The benchmark (npm run bench -- --quick) on its own lab: it runs, the three tools leave every host in the same
// state (the bench itself checks that and stops if not), re-runs change nothing, and kubeplay's round trips stay
// as few as the engine promises. No time is asserted: speed goals live in bench/RESULTS.md, not in tests.
// Alone: `tsx test/uvu.ts test/e2e bench.test` (not `bench`: that names the bench/ folder).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { $ } from 'zx'
import type { Summary } from '../../bench/stats.js'
import { loud } from '../support/hooks.js'

const dir = mkdtempSync(join(tmpdir(), 'kubeplay-bench-test-'))
let summaries: Summary[] = []
let results = ''

test.before(loud('setup of bench.test.ts (the quick bench, on its own lab)', async () => {
  const json = join(dir, 'bench.json')
  const markdown = join(dir, 'RESULTS.md')
  const run = await $({ nothrow: true, quiet: true, timeout: '20m' })`npx tsx bench/run.ts --quick --scale-hosts 7 --json ${json} --results ${markdown}`
  assert.is(run.exitCode, 0, `npm run bench -- --quick failed:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`)
  summaries = JSON.parse(readFileSync(json, 'utf8')).summaries
  results = readFileSync(markdown, 'utf8')
}))

test.after(() => rmSync(dir, { recursive: true, force: true }))

const summary = (name: string) => {
  const found = summaries.find((s) => s.case === name)
  assert.ok(found, `no "${name}" case in the bench's results: ${summaries.map((s) => s.case).join(', ')}`)
  return found!
}

test('quick bench: converge, no-op, check and scale at 7 hosts, each timed for kubeplay, Ansible and the floor', () => {
  for (const name of ['converge', 'noop', 'check', 'scale']) {
    const { hosts, wallMs } = summary(name)
    assert.is(hosts, 7, name)
    for (const tool of ['kubeplay', 'ansible', 'floor'] as const) assert.ok(wallMs[tool] > 0, `${name} ${tool}: ${wallMs[tool]} ms`)
  }
  assert.match(results, /\| converge \| 7 \|/)
  assert.match(results, /kp\/Ansible/)
})

test('quick bench: every tool changed the fresh hosts and nothing on converged ones', () => {
  for (const tool of ['kubeplay', 'ansible', 'floor'] as const) {
    assert.ok(summary('converge').changed[tool] > 0, `${tool} changed nothing on fresh hosts`)
    for (const name of ['noop', 'check', 'scale']) assert.is(summary(name).changed[tool], 0, `${tool} changed something in ${name}`)
  }
})

test('quick bench: kubeplay round trips per host (the engine batches facts and changes of operations started together)', () => {
  const trips = (name: string) => summary(name).kubeplay.commandsPerHost
  assert.ok(trips('noop') <= 6, `no-op: ${trips('noop')} commands per host`)
  assert.ok(trips('check') <= 5, `check: ${trips('check')} commands per host`)
  assert.ok(trips('scale') <= 2, `scale: ${trips('scale')} commands per host`)
  assert.ok(trips('converge') <= 10, `converge: ${trips('converge')} commands per host`)
  assert.ok(summary('scale').kubeplay.maxRssMiB < 300, `peak RSS ${summary('scale').kubeplay.maxRssMiB} MiB`)
})

test.run()
