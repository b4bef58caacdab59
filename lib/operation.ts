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
 *
 * Operations started together (`await Promise.all([...])`) read their facts in one command and apply in one,
 * in the order they were called; once one fails, the later ones do not apply (turns.ts). Only operations on
 * different things belong together: each plans from facts read before the others applied. `touches` names the
 * things this one changes (paths, `service:nginx`, ...): one started while another that touches the same is still
 * running fails at once, before either reads a fact.
 */
export async function operate(op: string, plan: (turn: { order: number }) => Promise<Change | null>, options: OperationOptions = {}, touches: string[] = []): Promise<OpReport> {
  const ctx = currentHost()
  const turn = ctx.turns.take(op, touches)
  let failed = true
  try {
    // Thrown a tick later, once the whole group has taken its turns, so that none of the group applies.
    if (turn.refusal) await Promise.reject(turn.refusal)
    const change = await plan({ order: turn.order })
    turn.planned(change)
    await turn.ready()
    const report: OpReport = change ? { op, status: 'changed', summary: change.summary, diff: change.diff } : { op, status: 'ok' }
    if (change && !ctx.check) await turn.apply(change)
    if (change && options.notify) ctx.notify(options.notify, turn.order)
    ctx.report(report)
    failed = false
    return report
  } finally {
    turn.done(failed)
  }
}
