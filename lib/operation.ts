// The shape every operation shares, pyinfra style: read facts, decide what differs, change only that.
// Check mode falls out of it: the plan is made and reported, and not applied.
import { currentHost, type OpReport } from './context.js'

export interface Change {
  /** One line for the operator: what will be / was done. */
  summary: string
  /** A unified diff, shown with --diff. */
  diff?: string
  apply: () => Promise<void>
}

export interface OperationOptions {
  /** A handler of the task to run once at its end on this host, if this operation changed something. */
  notify?: string
}

/**
 * Runs an operation on the current host. `plan` reads facts (with read-only commands) and returns the change
 * needed, or null when the host is already as wanted.
 */
export async function operate(op: string, plan: () => Promise<Change | null>, options: OperationOptions = {}): Promise<OpReport> {
  const ctx = currentHost()
  const change = await plan()
  if (!change) {
    const report: OpReport = { op, status: 'ok' }
    ctx.report(report)
    return report
  }
  if (!ctx.check) await change.apply()
  if (options.notify) ctx.notify(options.notify)
  const report: OpReport = { op, status: 'changed', summary: change.summary, diff: change.diff }
  ctx.report(report)
  return report
}
