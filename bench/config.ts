// Where the benchmark runs and how much of it: its own lab, its scratch folder, and the run plan of each mode.
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)))
export const REPO_ROOT = resolve(BENCH_DIR, '..')
/** Generated files (Ansible inventory, floor scripts, run reports, Ansible's control sockets). Not committed. */
export const WORK_DIR = join(BENCH_DIR, '.work')

/** The benchmark's own lab, unless KUBEPLAY_LAB_* say otherwise: it never touches another engineer's lab. */
export const LAB = {
  name: process.env.KUBEPLAY_LAB_NAME ?? 'bench',
  bridge: process.env.KUBEPLAY_LAB_BRIDGE ?? 'kplab5',
  subnet: process.env.KUBEPLAY_LAB_SUBNET ?? '10.82.0.0/24',
}

export interface RunPlan {
  /** Runs of each case per tool (the median is reported). */
  runs: number
  /** Host counts of the scale part, and runs per tool at each. */
  scaleHosts: number[]
  scaleRuns: number
}

// Ansible takes 10-60 s a run at 25-50 hosts: three runs each keep the full bench near 15 minutes.
export const FULL: RunPlan = { runs: 5, scaleHosts: [7, 25, 50], scaleRuns: 3 }
// Quick: the converge cases once each, no scale part (`--scale-hosts 7` adds it): about a minute with the lab up.
export const QUICK: RunPlan = { runs: 1, scaleHosts: [], scaleRuns: 1 }

/** The 7-host lab of the converge cases. */
export const CONVERGE_HOSTS = 7
