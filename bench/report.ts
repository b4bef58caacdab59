// The table printed at the end and bench/RESULTS.md: machine, date, versions, load, the figures and the goals.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { BENCH_DIR, REPO_ROOT } from './config.js'
import type { Summary } from './stats.js'

export interface Environment {
  date: string
  machine: string
  versions: Record<string, string>
  loadBefore: string
  loadAfter?: string
  mode: string
}

export function environment(mode: string): Environment {
  const cpu = cpus()
  return {
    date: new Date().toISOString(),
    machine: `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}`,
    versions: {
      node: process.version,
      kubeplay: `${JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version} (git ${tryRun('git', ['-C', REPO_ROOT, 'describe', '--always', '--dirty'])})`,
      'ansible-core': tryRun('ansible-playbook', ['--version']).split('\n')[0].replace(/^ansible-playbook \[core (.*)\]$/, '$1'),
      openssh: tryRun('ssh', ['-V']),
    },
    loadBefore: loadavg().map((l) => l.toFixed(2)).join(' '),
    mode,
  }
}

/** The command's output (`ssh -V` writes its version to stderr). */
function tryRun(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  return (result.stdout || result.stderr || 'unknown').trim()
}

const seconds = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '–')
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}` : '–')

/** The goal a row serves, and whether these figures meet it. */
function goal(s: Summary): string {
  const vsAnsible = s.wallMs.ansible / s.wallMs.kubeplay
  const vsFloor = s.wallMs.kubeplay / s.wallMs.floor
  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**')
  if (s.case === 'converge') return `≥5× faster than Ansible: ${verdict(vsAnsible >= 5)}`
  if (s.case === 'noop') return `≥10× Ansible, ≤2× floor: ${verdict(vsAnsible >= 10 && vsFloor <= 2)}`
  if (s.case === 'scale') return `≤2× floor: ${verdict(vsFloor <= 2)}${s.hosts === 50 ? `; RSS < 300 MB: ${verdict(s.kubeplay.maxRssMiB < 300)}` : ''}`
  return '–'
}

export function table(summaries: Summary[]): string {
  const head = ['case', 'hosts', 'runs', 'kubeplay s', 'Ansible s', 'floor s', 'kp/Ansible', 'kp/floor', 'kp start s', 'kp play s',
    'CPU ms/host kp · Ans · floor', 'round trips/host (ops)', 'trips/op', 'kp peak RSS MiB', 'goal']
  const rows = summaries.map((s) => [
    s.case, s.hosts, s.runs, seconds(s.wallMs.kubeplay), seconds(s.wallMs.ansible), seconds(s.wallMs.floor),
    ratio(s.wallMs.kubeplay, s.wallMs.ansible), ratio(s.wallMs.kubeplay, s.wallMs.floor),
    seconds(s.kubeplay.startupMs), seconds(s.kubeplay.runMs),
    [s.cpuMsPerHost.kubeplay, s.cpuMsPerHost.ansible, s.cpuMsPerHost.floor].map((v) => v.toFixed(0)).join(' · '),
    `${s.kubeplay.commandsPerHost.toFixed(1)} (${s.kubeplay.opsPerHost.toFixed(0)})`,
    (s.kubeplay.commandsPerHost / s.kubeplay.opsPerHost).toFixed(2),
    s.kubeplay.maxRssMiB.toFixed(0),
    goal(s),
  ].map(String))
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n')
}

export function writeResults(env: Environment, summaries: Summary[], file = join(BENCH_DIR, 'RESULTS.md')): string {
  const versions = Object.entries(env.versions).map(([k, v]) => `${k} ${v}`).join(' · ')
  writeFileSync(file, `# kubeplay vs Ansible: benchmark results

Written by \`npm run bench${env.mode === 'quick' ? ' -- --quick' : ''}\` (${env.mode} mode). How the cases are defined: \`bench/README.md\`.

- Date: ${env.date}
- Machine: ${env.machine}
- Versions: ${versions}
- Load average (1, 5, 15 min): ${env.loadBefore} before, ${env.loadAfter ?? '?'} after. The lab's own hosts share
  the runner's two cores (50 booted hosts alone raise the load average), so compare ratios, not absolute times;
  a load above 2 before the run means something else was running too.

Times are medians of the runs (wall clock, the whole process: \`tsx\` start included for kubeplay, Python start for
Ansible). "kp start" is kubeplay's process start up to the play (node, tsx, loading the engine); "kp play" is
\`runCli\` itself. CPU is of the runner's processes on this machine (cgroup cpuacct, ssh clients and Ansible's
ControlMasters included), per host. Round trips are commands kubeplay sent per host (the run lock is taken with
the first command; its release, 1 per run outside check mode, is counted), over the operations it reported per host.

${table(summaries)}
`)
  return file
}
