// Load: a no-op run against 50 lab hosts with --forks 50 — one connection per host, at most 5 channels each —
// ends with no channel-open failures and no leaked listeners. A lab of its own, so the 7-host lab stays as it is.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { labIdentity } from '../lab/config.js'
import { assertLabUp, type LabInfo } from '../lab/lab.js'
import { labDown, labUp } from '../lab/lifecycle.js'
import { runKubeplay } from '../support/cli.js'
import { loud } from '../support/hooks.js'

const identity = labIdentity({ name: 'kpload', bridge: 'kpload0', subnet: '10.77.150.0/24' })
const log = (line: string) => console.log(`    lab: ${line}`)
const PLAY = 'bench/kubeplay-scale-play.ts' // ten operations on one task; a no-op once converged
let lab: LabInfo

test.before(loud('setup of load.test.ts (a 50-host lab)', async () => {
  await labUp(identity, { hosts: 50, log })
  lab = await assertLabUp(identity)
}))

test.after(loud('teardown of the 50-host lab', () => labDown(identity, log)))

test('a no-op run on 50 hosts with --forks 50: no channel-open failure, no MaxListenersExceededWarning', async () => {
  const args = ['--inventory', lab.inventoryFile, '--forks', '50']
  const converge = await runKubeplay(PLAY, args)
  assert.is(converge.code, 0, converge.output.slice(-3000))
  const report = join(mkdtempSync(join(tmpdir(), 'kp-load-')), 'noop.json')
  const noop = await runKubeplay(PLAY, [...args, '--report', report])
  assert.is(noop.code, 0, noop.output.slice(-3000))
  assert.match(noop.stdout, /50 hosts, 0 changed, 0 failed, 0 unreachable/)
  // The ten operations start together: one command per host reads all their facts, with the run lock taken in it.
  const commands = JSON.parse(readFileSync(report, 'utf8')).commands as Record<string, number>
  assert.is(Object.keys(commands).length, 50)
  assert.equal(new Set(Object.values(commands)), new Set([1]), `commands per host: ${JSON.stringify(commands)}`)
  for (const run of [converge, noop]) {
    assert.not.match(run.output, /Channel open failure/i)
    assert.not.match(run.output, /MaxListenersExceededWarning/)
  }
})

test.run()
