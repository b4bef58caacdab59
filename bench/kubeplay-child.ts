// Runs one kubeplay play through the real command line (runCli) in its own process, then writes what the
// benchmark needs to $BENCH_RESULT_FILE: time to start, time of the run, commands sent per host, CPU, peak RSS.
//   node --import tsx bench/kubeplay-child.ts <play module> <kubeplay flags...>
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { runCli, type Play } from '../lib/index.js'
import { SshConnector } from '../lib/pool.js'

export interface ChildResult {
  exitCode: number
  /** From process start to the play's first line: node, tsx, loading the engine and the play. */
  startupMs: number
  /** runCli: inventory, connections, the play, locks released, connections closed. */
  runMs: number
  commandsPerHost: Record<string, number>
  cpuUserMs: number
  cpuSystemMs: number
  maxRssKiB: number
}

// The connector is made inside runCli: read its counts as it closes (the engine keeps them for benchmarks).
let commandsPerHost: Record<string, number> = {}
const closeAll = SshConnector.prototype.closeAll
SshConnector.prototype.closeAll = async function (this: SshConnector) {
  await closeAll.call(this)
  commandsPerHost = this.commandCounts()
}

const [playModule, ...flags] = process.argv.slice(2)
const resultFile = process.env.BENCH_RESULT_FILE
if (!playModule || !resultFile) throw new Error('usage: BENCH_RESULT_FILE=out.json node --import tsx bench/kubeplay-child.ts <play module> [flags]')

const play = (await import(pathToFileURL(resolve(playModule)).href)).default as Play
const started = performance.now()
const exitCode = await runCli(flags, play)
const finished = performance.now()
const usage = process.resourceUsage()
const result: ChildResult = {
  exitCode,
  startupMs: Math.round(started),
  runMs: Math.round(finished - started),
  commandsPerHost,
  cpuUserMs: Math.round(usage.userCPUTime / 1000),
  cpuSystemMs: Math.round(usage.systemCPUTime / 1000),
  maxRssKiB: usage.maxRSS,
}
writeFileSync(resultFile, JSON.stringify(result))
process.exitCode = exitCode
