// Faults that need real hosts (systemd, dpkg, power and network): the fault play on the lab, the way an operator
// runs it. Each scenario ends by re-running on the failed host with --limit: the run converges.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { assertLabUp, cutNetwork, powerOff, powerOn, restoreNetwork, runOn, type LabInfo } from '../lab/lab.js'
import { runKubeplay, startKubeplay } from '../support/cli.js'
import { loud } from '../support/hooks.js'

const PLAY = 'test/fixtures/fault-play.ts'
const ROOT = '/var/tmp/kp-faults'
let lab: LabInfo
let runs = 0

/** The lab's inventory with vars per host (every host works under ROOT). */
function inventory(vars: Record<string, object> = {}): string {
  const file = join('.kubeplay', 'test', `lab-faults-${runs++}.ts`)
  mkdirSync(join('.kubeplay', 'test'), { recursive: true })
  writeFileSync(file, [
    `import lab from ${JSON.stringify(resolve(lab.inventoryFile))}`,
    `const vars: Record<string, object> = ${JSON.stringify(vars)}`,
    `export default { ...lab, vars: { ...lab.vars, root: ${JSON.stringify(ROOT)} },`,
    `  hosts: Object.fromEntries(Object.entries(lab.hosts).map(([n, h]) => [n, { ...h, vars: { ...h.vars, ...vars[n] } }])) }`,
  ].join('\n'))
  return file
}

async function play(inv: string, args: string[]) {
  const report = join('.kubeplay', 'test', `lab-faults-report-${runs++}.json`)
  const run = await runKubeplay(PLAY, ['--inventory', inv, '--report', report, ...args])
  return { run, report: JSON.parse(readFileSync(report, 'utf8')) }
}

async function exists(host: string, path: string): Promise<boolean> {
  return (await runOn(host, `test -e ${path}`)).exitCode === 0
}

async function waitForFile(host: string, path: string) {
  for (let i = 0; i < 600; i++) {
    if (await exists(host, path)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${path} never appeared on ${host}`)
}

test.before(loud('setup of e2e/faults.test.ts', async () => {
  lab = await assertLabUp()
  await Promise.all(['kube-node01', 'kube-node02', 'kube-node03'].map((h) => runOn(h, `rm -rf ${ROOT}`)))
}))

test('a host powered off before the run: unreachable within the connect timeout, the others converge, exit 2', async () => {
  await powerOff('kube-node03')
  try {
    const started = Date.now()
    const { run, report } = await play(inventory(), ['--only', 'prepare,after', '--limit', 'nodes'])
    const seconds = (Date.now() - started) / 1000
    assert.is(run.code, 2, run.output)
    assert.ok(seconds < 40, `took ${seconds} s (connect timeout 10 s)`)
    assert.is(report.hosts['kube-node03'].unreachable, 1)
    assert.match(report.hosts['kube-node03'].errors[0].message, /kube-node03 \(10\.\d+\.\d+\.\d+:22\): unreachable/)
    for (const h of ['kube-node01', 'kube-node02']) assert.ok(await exists(h, `${ROOT}/after`), `${h} did not converge`)
  } finally {
    await powerOn('kube-node03')
  }
  const { run } = await play(inventory(), ['--only', 'prepare,after', '--limit', 'kube-node03'])
  assert.is(run.code, 0, run.output)
  assert.ok(await exists('kube-node03', `${ROOT}/after`))
})

test('a host whose network dies mid-command: no hang (keepalive), that host failed, the others converge', async () => {
  const inv = inventory({ 'kube-node02': { sleep: 60 } })
  const running = startKubeplay(PLAY, ['--inventory', inv, '--only', 'prepare,slow,after', '--limit', 'nodes'])
  await waitForFile('kube-node02', `${ROOT}/slow-started`)
  await cutNetwork('kube-node02')
  const started = Date.now()
  let done
  try {
    done = await running.done
  } finally {
    await restoreNetwork('kube-node02')
  }
  const seconds = (Date.now() - started) / 1000
  assert.is(done.code, 2, done.output)
  assert.ok(seconds < 45, `took ${seconds} s to give up on the host (keepalive ~15 s)`)
  assert.match(done.stdout, /kube-node02 failed in task slow:\n {2}kube-node02 \(10\.\d+\.\d+\.\d+:22\): connection lost/)
  for (const h of ['kube-node01', 'kube-node03']) assert.ok(await exists(h, `${ROOT}/after`), `${h} did not converge`)
  const { run } = await play(inventory(), ['--only', 'prepare,slow,after', '--limit', 'kube-node02'])
  assert.is(run.code, 0, run.output)
})

test('the dpkg lock held by another process: waits the set time, then fails saying who holds it', async () => {
  const hold = `setsid -f python3 -c "import fcntl,time; f=open('/var/lib/dpkg/lock-frontend','w'); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(300)" </dev/null >/dev/null 2>&1`
  assert.is((await runOn('kube-node01', `${hold}; sleep 0.5`)).exitCode, 0)
  const inv = inventory({ 'kube-node01': { aptPackage: 'tree' } })
  try {
    const { run, report } = await play(inv, ['--only', 'apt', '--limit', 'kube-node01'])
    assert.is(run.code, 2, run.output)
    const message = report.hosts['kube-node01'].errors[0].message as string
    assert.match(message, /^kube-node01 \(task apt\): the dpkg lock \/var\/lib\/dpkg\/lock-frontend is held by (process \d+ \(python3\)|another process); waited 5 s/)
  } finally {
    await runOn('kube-node01', `pkill -f "fcntl.lockf" || true`)
  }
  // The lab's hosts have no package lists (no network): once the lock is free, the run gets past it.
  const { report } = await play(inv, ['--only', 'apt', '--limit', 'kube-node01'])
  const after = report.hosts['kube-node01'].errors.map((e: { message: string }) => e.message).join('\n')
  assert.not.match(after, /lock/, 'still reported as a lock problem after the lock was released')
})

test('a service that fails to start after its config changed: host, task, unit and the journal\'s last lines', async () => {
  const good = await play(inventory({ 'kube-node03': { unitConfig: 'good' } }), ['--only', 'unit', '--limit', 'kube-node03'])
  assert.is(good.run.code, 0, good.run.output)
  const { run, report } = await play(inventory({ 'kube-node03': { unitConfig: 'broken-value' } }), ['--only', 'unit', '--limit', 'kube-node03'])
  assert.is(run.code, 2, run.output)
  const message = report.hosts['kube-node03'].errors[0].message as string
  assert.match(message, /^systemd unit kp-fault failed to restart on kube-node03 \(task unit\): .*ActiveState=failed/)
  assert.match(message, /journal \(last 20 lines of journalctl -u kp-fault\):\n/)
  assert.match(message, 'kp-fault: bad config: broken-value')
  assert.match(run.stdout, 'kp-fault: bad config: broken-value')
  const fixed = await play(inventory({ 'kube-node03': { unitConfig: 'good' } }), ['--only', 'unit', '--limit', 'kube-node03'])
  assert.is(fixed.run.code, 0, fixed.run.output)
  assert.is((await runOn('kube-node03', 'systemctl is-active kp-fault')).stdout.trim(), 'active')
})

test.after(async () => {
  await Promise.all(['kube-node01', 'kube-node02', 'kube-node03'].map((h) =>
    runOn(h, `systemctl disable --now kp-fault 2>/dev/null; rm -f /etc/systemd/system/kp-fault.service /etc/kp-fault.conf; rm -rf ${ROOT}`)))
})

test.run()
