// A command that changes the host, run only when its work is not done yet, Ansible's `creates:` / `unless`:
// `kubeadm init` once, when /etc/kubernetes/admin.conf does not exist.
import { currentHost, type OpReport } from '../context.js'
import { indent, TaskError } from '../errors.js'
import { operate, type OperationOptions } from '../operation.js'
import { runSteps, sh } from './steps.js'

export interface CommandOptions extends OperationOptions {
  /** The work is done when this path exists. */
  creates?: string
  /** The work is done when this read-only shell check exits 0. */
  unless?: string
  /** Run when it fails, its output added to the error: e.g. the kubelet's journal after a failed `kubeadm init`. */
  diagnose?: { label: string; command: string }
  timeoutMs?: number
}

/** Runs `command` (a shell command line) unless `creates` exists or `unless` succeeds; reported as `summary`. */
export function run(summary: string, command: string, options: CommandOptions = {}): Promise<OpReport> {
  return operate(summary, async () => {
    if (await done(options)) return null
    return { summary, apply: () => applyWithDiagnosis(command, options) }
  }, options)
}

async function done(options: CommandOptions): Promise<boolean> {
  const checks = [options.creates ? sh`test -e ${options.creates}` : '', options.unless ?? ''].filter(Boolean)
  if (checks.length === 0) return false
  const result = await currentHost().run(checks.map((c) => `(${c})`).join(' || '), { readonly: true, nothrow: true })
  return result.ok
}

async function applyWithDiagnosis(command: string, options: CommandOptions): Promise<void> {
  try {
    await runSteps([{ summary: '', script: command }], { timeoutMs: options.timeoutMs })
  } catch (error) {
    if (!options.diagnose) throw error
    const ctx = currentHost()
    const found = await ctx.run(options.diagnose.command, { readonly: true, nothrow: true })
    const output = (found.stdout + found.stderr).trimEnd() || '(nothing)'
    throw new TaskError(`${(error as Error).message}\n  ${options.diagnose.label}:\n${indent(output, '    ')}`)
  }
}
