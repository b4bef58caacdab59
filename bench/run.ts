// npm run bench [-- --quick] [--json file] [--results file] [--keep-lab] [--only converge|scale] [--scale-hosts 7,25,50]: kubeplay, Ansible and a hand-written bash floor
// doing the same converge on the bench's lab, alternating; then the scale part. See bench/README.md.
import { writeFileSync } from 'node:fs'
import { ensureAnsible } from './ansible/install.js'
import { parseArgs } from 'node:util'
import { labInventory } from './inventory.js'
import { CONVERGE_HOSTS, FULL, QUICK, type RunPlan } from './config.js'
import { convergedState, installImagePackages, labDown, labWithHosts, makeFresh } from './lab.js'
import { leftoverPids, removeGroups } from './measure.js'
import { environment, table, writeResults } from './report.js'
import { summarize } from './stats.js'
import { Tools, type Sample, type Tool } from './tools.js'
import { loadavg } from 'node:os'

const log = (line: string) => console.log(`bench: ${line}`)

/** Each round starts with another tool, so that no tool always runs first (or right after another). */
function rotation(round: number): Tool[] {
  const tools: Tool[] = ['kubeplay', 'ansible', 'floor']
  return [...tools.slice(round % 3), ...tools.slice(0, round % 3)]
}

async function convergeCases(plan: RunPlan, samples: Sample[]) {
  const lab = await labWithHosts(CONVERGE_HOSTS, log)
  await installImagePackages(lab, log)
  const tools = new Tools(lab, await labInventory(lab.inventoryFile))
  let expected: { tool: Tool; state: Record<string, string> } | undefined
  for (let round = 0; round < plan.runs; round++) {
    for (const tool of rotation(round)) {
      await makeFresh(lab)
      for (const [name, check] of [['converge', false], ['noop', false], ['check', true]] as const) {
        const sample = await tools.run(tool, 'converge', name, check)
        samples.push(sample)
        log(`round ${round + 1}/${plan.runs} ${name.padEnd(8)} ${tool.padEnd(8)} ${(sample.wallMs / 1000).toFixed(2)} s, ${sample.changed} changed`)
        if (name !== 'converge' && sample.changed > 0) throw new Error(`${tool} changed ${sample.changed} on converged hosts (${name})`)
      }
      const state = await convergedState(lab)
      if (expected) assertSameState(expected, { tool, state })
      expected ??= { tool, state }
    }
  }
}

/** The three tools must leave every host the same, or the bench would compare different work. */
function assertSameState(a: { tool: Tool; state: Record<string, string> }, b: { tool: Tool; state: Record<string, string> }) {
  for (const host of Object.keys(a.state)) {
    const [linesA, linesB] = [a.state[host], b.state[host] ?? ''].map((s) => s.split('\n'))
    const differ = linesA.flatMap((line, i) => (line === linesB[i] ? [] : [`  ${a.tool}: ${line}\n  ${b.tool}: ${linesB[i]}`]))
    if (differ.length > 0 || linesA.length !== linesB.length) {
      throw new Error(`${a.tool} and ${b.tool} left ${host} in different states:\n${differ.join('\n')}`)
    }
  }
}

async function scaleCases(plan: RunPlan, samples: Sample[]) {
  for (const hosts of plan.scaleHosts) {
    endAnsibleConnections() // they would point at the hosts of the lab about to be replaced
    const lab = await labWithHosts(hosts, log)
    const tools = new Tools(lab, await labInventory(lab.inventoryFile))
    for (const tool of rotation(0)) await tools.run(tool, 'scale', 'scale-setup') // converges; not counted
    for (let round = 0; round < plan.scaleRuns; round++) {
      for (const tool of rotation(round)) {
        const sample = await tools.run(tool, 'scale', 'scale')
        samples.push(sample)
        log(`scale ${hosts} hosts round ${round + 1}/${plan.scaleRuns} ${tool.padEnd(8)} ${(sample.wallMs / 1000).toFixed(2)} s, ${sample.changed} changed`)
        if (sample.changed > 0) throw new Error(`${tool} changed ${sample.changed} on converged hosts (scale)`)
      }
    }
  }
}

/** Ansible's ControlMasters outlive its runs (ControlPersist): end them, by PID, from the bench's own cgroup. */
function endAnsibleConnections() {
  for (const pid of leftoverPids('ansible')) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
}

async function main() {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, json: { type: 'string' }, results: { type: 'string' }, 'keep-lab': { type: 'boolean' }, only: { type: 'string' }, 'scale-hosts': { type: 'string' } },
  })
  await ensureAnsible(log)
  const plan = { ...(values.quick ? QUICK : FULL) }
  if (values['scale-hosts']) plan.scaleHosts = values['scale-hosts'].split(',').map(Number)
  const env = environment(values.quick ? 'quick' : 'full')
  const samples: Sample[] = []
  const started = Date.now()
  try {
    if (values.only !== 'scale') await convergeCases(plan, samples)
    if (values.only !== 'converge') await scaleCases(plan, samples)
  } finally {
    endAnsibleConnections()
    if (!values['keep-lab']) await labDown()
    await new Promise((resolve) => setTimeout(resolve, 500))
    const kept = removeGroups(['kubeplay', 'ansible', 'floor'])
    if (kept.length) log(`cgroups still in use (removed at the next run): ${kept.join(', ')}`)
  }
  env.loadAfter = loadavg().map((l) => l.toFixed(2)).join(' ')
  const summaries = summarize(samples.filter((s) => s.case !== 'scale-setup'))
  console.log(`\n${table(summaries)}\n`)
  log(`results: ${writeResults(env, summaries, values.results)} (${((Date.now() - started) / 60_000).toFixed(1)} min)`)
  if (values.json) writeFileSync(values.json, JSON.stringify({ environment: env, plan, summaries, samples }, null, 2))
}

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`)
  process.exit(1)
})
