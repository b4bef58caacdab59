// The apply side of every operation: the changes an operation decided on are steps, and all the steps of one
// operation run in ONE command. Steps that write files read their bytes from stdin, one after the other, each
// exactly its own length.
import { randomBytes } from 'node:crypto'
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
  const apply = () => runSteps(needed, options)
  if (options.timeoutMs === undefined) stepsOf.set(apply, needed)
  return {
    summary: mask(needed.map((s) => s.summary).join('; ')),
    diff: diffs.length ? mask(diffs.join('\n')) : undefined,
    apply,
  }
}

// The steps behind a change's own apply: a change whose apply was wrapped (apt.repository) is not found here,
// so it is never applied together with others, which would skip the wrapper.
const stepsOf = new WeakMap<() => Promise<void>, Step[]>()

export function canApplyTogether(change: Change): boolean {
  return stepsOf.has(change.apply)
}

/**
 * The steps of several operations' changes in ONE command, in order; it stops at the first failing one. `done`:
 * how many changes were applied; `error`: why the next one failed.
 */
export async function applyTogether(changes: Change[]): Promise<{ done: number; error?: Error }> {
  const ctx = currentHost()
  const groups = changes.map((c) => stepsOf.get(c.apply)!)
  const marker = `__kubeplay_applied_${randomBytes(8).toString('hex')}__`
  const script = ['set -eu', ...groups.map((steps) => `${stepsScript(steps)}\necho ${marker}`)].join('\n')
  const result = await ctx.run(script, { stdin: inputOf(groups.flat()), nothrow: true })
  if (result.ok) return { done: changes.length }
  const done = result.stdout.split('\n').filter((line) => line === marker).length
  return { done, error: failureOf(groups[Math.min(done, groups.length - 1)], result, ctx) }
}

export async function runSteps(steps: Step[], options: ApplyOptions = {}): Promise<void> {
  const ctx = currentHost()
  const result = await ctx.run(`set -eu\n${stepsScript(steps)}`, { stdin: inputOf(steps), nothrow: true, timeoutMs: options.timeoutMs })
  if (!result.ok) throw failureOf(steps, result, ctx)
}

function stepsScript(steps: Step[]): string {
  return steps.map((s) => `(\n${s.script}\n)`).join('\n')
}

function inputOf(steps: Step[]): Buffer | undefined {
  const input = Buffer.concat(steps.flatMap((s) => (s.input ? [s.input] : [])))
  return input.length ? input : undefined
}

function failureOf(steps: Step[], result: CommandResult, ctx: HostContext): Error {
  for (const step of steps) {
    const error = step.explain?.(result, ctx)
    if (error) return error
  }
  // Our scripts say what went wrong on lines starting with "kubeplay: ": that beats the whole script.
  const own = result.stderr.split('\n').filter((l) => l.startsWith('kubeplay: '))
  if (own.length) return new TaskError(`${ctx.host.name} (task ${ctx.task}): ${own.map((l) => l.slice('kubeplay: '.length)).join('; ')}`)
  return new CommandError(ctx.host.name, ctx.task, `set -eu\n${stepsScript(steps)}`, result.code, result.stderr, result.stdout)
}
