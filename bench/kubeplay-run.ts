// kubeplay's side: each run is a fresh process (as an operator runs it), measured from outside and reporting
// from inside (bench/kubeplay-child.ts).
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR, REPO_ROOT } from './config.js'
import type { ChildResult } from './kubeplay-child.js'
import { measure, type Measured } from './measure.js'
import { workPath } from './paths.js'

export interface KubeplayRun extends Measured {
  child: ChildResult
  /** Operations per host, from the run's recap (ok + changed). */
  opsPerHost: Record<string, number>
  changed: number
  failed: number
}

export async function runKubeplay(play: 'converge' | 'scale', inventoryFile: string, check: boolean, hosts: number, logFile: string): Promise<KubeplayRun> {
  const resultFile = workPath('kubeplay-result.json')
  const reportFile = workPath('kubeplay-recap.json')
  for (const file of [resultFile, reportFile]) rmSync(file, { force: true })
  const playModule = join(BENCH_DIR, play === 'converge' ? 'kubeplay-play.ts' : 'kubeplay-scale-play.ts')
  const measured = await measure({
    group: 'kubeplay',
    command: process.execPath,
    args: ['--import', 'tsx', join(BENCH_DIR, 'kubeplay-child.ts'), playModule,
      '--inventory', inventoryFile, '--forks', String(hosts), '--report', reportFile, ...(check ? ['--check'] : [])],
    env: { BENCH_RESULT_FILE: resultFile },
    logFile,
    cwd: REPO_ROOT,
  })
  if (!existsSync(resultFile) || !existsSync(reportFile)) throw new Error(`kubeplay run failed (exit ${measured.exitCode}); see ${logFile}`)
  const child = JSON.parse(readFileSync(resultFile, 'utf8')) as ChildResult
  const recap = JSON.parse(readFileSync(reportFile, 'utf8')) as { hosts: Record<string, { ok: number; changed: number }>; totals: { changed: number; failed: number; unreachable: number } }
  const opsPerHost = Object.fromEntries(Object.entries(recap.hosts).map(([name, r]) => [name, r.ok + r.changed]))
  return { ...measured, child, opsPerHost, changed: recap.totals.changed, failed: recap.totals.failed + recap.totals.unreachable }
}
