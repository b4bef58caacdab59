// Medians and the summary the table and the JSON are made of.
import type { Sample, Tool } from './tools.js'

export function median(values: number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export interface Summary {
  case: string
  hosts: number
  runs: number
  wallMs: Record<Tool, number>
  cpuMsPerHost: Record<Tool, number>
  kubeplay: { startupMs: number; runMs: number; maxRssMiB: number; commandsPerHost: number; opsPerHost: number }
  changed: Record<Tool, number>
}

const TOOLS: Tool[] = ['kubeplay', 'ansible', 'floor']

export function summarize(samples: Sample[]): Summary[] {
  const keys = [...new Set(samples.map((s) => `${s.case}/${s.hosts}`))]
  return keys.map((key) => {
    const group = samples.filter((s) => `${s.case}/${s.hosts}` === key)
    const of = (tool: Tool) => group.filter((s) => s.tool === tool)
    const per = (pick: (s: Sample) => number) => Object.fromEntries(TOOLS.map((t) => [t, median(of(t).map(pick))])) as Record<Tool, number>
    const kp = of('kubeplay').map((s) => s.kubeplay!)
    return {
      case: group[0].case,
      hosts: group[0].hosts,
      runs: of('kubeplay').length,
      wallMs: per((s) => s.wallMs),
      cpuMsPerHost: per((s) => (s.cpuMs ?? NaN) / s.hosts),
      kubeplay: {
        startupMs: median(kp.map((k) => k.startupMs)),
        runMs: median(kp.map((k) => k.runMs)),
        maxRssMiB: Math.max(...kp.map((k) => k.maxRssKiB)) / 1024,
        commandsPerHost: median(kp.map((k) => k.commandsPerHost)),
        opsPerHost: median(kp.map((k) => k.opsPerHost)),
      },
      changed: per((s) => s.changed),
    }
  })
}
