// Per-host counters for the run, printed at the end and written as JSON with --report.
import { writeFileSync } from 'node:fs'
import { mask } from './secrets.js'

export interface HostRecap {
  ok: number
  changed: number
  failed: number
  skipped: number
  unreachable: number
  errors: { task: string; message: string }[]
}

const COUNTERS = ['ok', 'changed', 'failed', 'skipped', 'unreachable'] as const

export class Recap {
  readonly hosts = new Map<string, HostRecap>()
  private readonly started = Date.now()
  durationMs = 0
  /** Commands (SSH round trips) sent to each host, the run lock's release not counted: for --report. */
  commands?: Record<string, number>

  constructor(readonly play: string, readonly check: boolean, hostNames: string[]) {
    for (const name of hostNames) this.hosts.set(name, { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, errors: [] })
  }

  host(name: string): HostRecap {
    return this.hosts.get(name)!
  }

  fail(host: string, task: string, error: unknown, unreachable = false): void {
    const recap = this.host(host)
    if (unreachable) recap.unreachable++
    else recap.failed++
    recap.errors.push({ task, message: mask(error instanceof Error ? error.message : String(error)) })
  }

  finish(): this {
    this.durationMs = Date.now() - this.started
    return this
  }

  get totals(): Record<(typeof COUNTERS)[number], number> {
    const totals = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 }
    for (const r of this.hosts.values()) for (const k of COUNTERS) totals[k] += r[k]
    return totals
  }

  get succeeded(): boolean {
    return this.totals.failed === 0 && this.totals.unreachable === 0
  }

  format(): string {
    const width = Math.max(...[...this.hosts.keys()].map((n) => n.length), 4)
    const lines = [`PLAY RECAP ${this.play}${this.check ? ' (check mode: nothing was changed)' : ''}`]
    for (const [name, r] of this.hosts) {
      lines.push(`${name.padEnd(width)}  ${COUNTERS.map((k) => `${k}=${r[k]}`).join('  ')}`)
    }
    for (const [name, r] of this.hosts) {
      for (const e of r.errors) lines.push('', `${name} failed in task ${e.task}:`, ...e.message.split('\n').map((l) => `  ${l}`))
    }
    const t = this.totals
    lines.push('', `${this.hosts.size} hosts, ${t.changed} ${this.check ? 'would change' : 'changed'}, ${t.failed} failed, ${t.unreachable} unreachable in ${(this.durationMs / 1000).toFixed(1)} s`)
    return lines.join('\n')
  }

  toJSON() {
    return {
      play: this.play,
      check: this.check,
      durationMs: this.durationMs,
      hosts: Object.fromEntries(this.hosts),
      totals: this.totals,
      commands: this.commands,
    }
  }

  write(path: string): void {
    writeFileSync(path, mask(`${JSON.stringify(this, null, 2)}\n`), { mode: 0o600 })
  }
}
