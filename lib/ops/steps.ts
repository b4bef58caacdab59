// The apply side of every operation: the changes an operation decided on are steps, and all the steps of one
// operation run in ONE command. Steps that write files read their bytes from stdin, one after the other, each
// exactly its own length.
import type { Change } from '../operation.js'
import { currentHost, type CommandResult, type HostContext } from '../context.js'
import { CommandError, TaskError } from '../errors.js'
import { mask } from '../secrets.js'
import { buildCommand } from '../remote.js'

export interface Step {
  /** What the step changes, for the report: "update /etc/fstab". */
  summary: string
  diff?: string
  /** A shell script; it runs in its own subshell under `set -eu`. */
  script: string
  /** The bytes the script reads from stdin (exactly this many). */
  input?: Buffer
  /** Turns a failure of the command into a clearer error when it can tell the failure was this step's. */
  explain?: (result: CommandResult, ctx: HostContext) => Error | undefined
}

export interface ApplyOptions {
  timeoutMs?: number
}

/** Quotes every interpolated value, like `$`, but returns the script text to be combined into a larger one. */
export function sh(pieces: TemplateStringsArray, ...values: unknown[]): string {
  return buildCommand(pieces, values)
}

/** The operation's change made of the steps that are needed, or null when none is. */
export function changeOf(steps: (Step | null | undefined)[], options: ApplyOptions = {}): Change | null {
  const needed = steps.filter((s): s is Step => Boolean(s))
  if (needed.length === 0) return null
  const diffs = needed.flatMap((s) => (s.diff ? [s.diff] : []))
  return {
    summary: mask(needed.map((s) => s.summary).join('; ')),
    diff: diffs.length ? mask(diffs.join('\n')) : undefined,
    apply: () => runSteps(needed, options),
  }
}

export async function runSteps(steps: Step[], options: ApplyOptions = {}): Promise<void> {
  const ctx = currentHost()
  const script = ['set -eu', ...steps.map((s) => `(\n${s.script}\n)`)].join('\n')
  const input = Buffer.concat(steps.flatMap((s) => (s.input ? [s.input] : [])))
  const result = await ctx.run(script, { stdin: input.length ? input : undefined, nothrow: true, timeoutMs: options.timeoutMs })
  if (result.ok) return
  for (const step of steps) {
    const error = step.explain?.(result, ctx)
    if (error) throw error
  }
  // Our scripts say what went wrong on lines starting with "kubeplay: ": that beats the whole script.
  const own = result.stderr.split('\n').filter((l) => l.startsWith('kubeplay: '))
  if (own.length) throw new TaskError(`${ctx.host.name} (task ${ctx.task}): ${own.map((l) => l.slice('kubeplay: '.length)).join('; ')}`)
  throw new CommandError(ctx.host.name, ctx.task, script, result.code, result.stderr, result.stdout)
}
