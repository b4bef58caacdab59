// The run log: every command, its exit code and output, secrets masked. One file per run.
import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ExecResult, OpReport } from './context.js'
import { mask } from './secrets.js'

export interface RunLog {
  readonly path?: string
  command(host: string, task: string, command: string, result: ExecResult, ms: number): void
  skipped(host: string, task: string, command: string): void
  report(host: string, task: string, report: OpReport): void
  note(host: string, task: string, text: string): void
}

export class FileLog implements RunLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    this.write(`# kubeplay run log, started ${new Date().toISOString()}`)
  }

  command(host: string, task: string, command: string, result: ExecResult, ms: number): void {
    this.write(`[${host}] [${task}] $ ${command}\n  exit ${result.code}${result.signal ? ` (${result.signal})` : ''} in ${ms} ms` +
      block('stdout', result.stdout) + block('stderr', result.stderr))
  }

  skipped(host: string, task: string, command: string): void {
    this.write(`[${host}] [${task}] (check mode, not run) $ ${command}`)
  }

  report(host: string, task: string, report: OpReport): void {
    this.write(`[${host}] [${task}] ${report.status}: ${report.op}${report.summary ? ` — ${report.summary}` : ''}` +
      (report.diff ? block('diff', report.diff) : ''))
  }

  note(host: string, task: string, text: string): void {
    this.write(`[${host}] [${task}] ${text}`)
  }

  private write(text: string): void {
    appendFileSync(this.path, `${mask(text)}\n`, { mode: 0o600 })
  }
}

/** For embedding and tests: keeps lines in memory. */
export class MemoryLog implements RunLog {
  readonly lines: string[] = []
  command(host: string, task: string, command: string, result: ExecResult, _ms?: number): void {
    this.lines.push(mask(`[${host}] [${task}] $ ${command} -> ${result.code}${block('stdout', result.stdout)}${block('stderr', result.stderr)}`))
  }
  skipped(host: string, task: string, command: string): void {
    this.lines.push(mask(`[${host}] [${task}] (check) $ ${command}`))
  }
  report(host: string, task: string, report: OpReport): void {
    this.lines.push(mask(`[${host}] [${task}] ${report.status}: ${report.op} ${report.summary ?? ''}`))
  }
  note(host: string, task: string, text: string): void {
    this.lines.push(mask(`[${host}] [${task}] ${text}`))
  }
}

function block(label: string, text: string): string {
  if (!text.trim()) return ''
  return `\n  ${label}:\n${text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}`
}
