// The runner: tasks in order, hosts of a task in parallel (p-limit), progress with listr2, a recap at the end.
import { Listr, type ListrTaskWrapper } from 'listr2'
import pLimit from 'p-limit'
import { HostContext, runOnHost, type OpReport, type Remote, type RunOptions } from './context.js'
import type { Host, Inventory } from './inventory.js'
import type { RunLog } from './log.js'
import { Recap } from './recap.js'
import { RunLockHeldError } from './run-lock.js'
import { selectHosts, type Play, type Task } from './task.js'

/** Opens (once) and hands out the connection to a host. */
export interface Connector {
  connect(host: Host): Promise<Remote>
  /** Errors that mean the host cannot be reached at all, as opposed to a task failing on it. */
  isUnreachable(error: unknown): boolean
}

export interface RunConfig extends RunOptions {
  forks: number
  failFast: boolean
  /** Host names the run is limited to (already resolved from --limit). */
  hosts: Host[]
  renderer: 'default' | 'simple' | 'silent'
  /** Set when the operator interrupts the run: no new work starts. */
  signal?: AbortSignal
}

export async function runPlay(play: Play, inventory: Inventory, config: RunConfig, connector: Connector, log: RunLog): Promise<Recap> {
  // Hosts no task selects (a spare, say) are left out of the run and its recap.
  const touched = config.hosts.filter((host) => play.tasks.some((task) => selectHosts(task.hosts, inventory).some((h) => h.name === host.name)))
  const recap = new Recap(play.name, config.check, touched.map((h) => h.name))
  const down = new Set<string>() // unreachable or failed: left out of later tasks
  // What task bodies see of the run: its hosts are those still in it.
  const options: RunOptions = { ...config, get hosts() { return config.hosts.filter((h) => !down.has(h.name)) } }
  const limit = pLimit(config.forks)
  let fatal = false

  const stopped = (host: Host, out: ListrTaskWrapper<unknown, any, any>) => {
    if (!fatal && !config.signal?.aborted) return false
    recap.host(host.name).skipped++
    out.skip(config.signal?.aborted ? 'interrupted' : 'skipped: the play stopped')
    return true
  }

  // Every host the play will work on is connected (and locked) before the first task: an unreachable host is
  // known at once, and a host locked by another run stops this one before it changes anything anywhere.
  const connectOne = async (host: Host, out: ListrTaskWrapper<unknown, any, any>) => {
    if (stopped(host, out)) return
    try {
      await connector.connect(host)
    } catch (error) {
      down.add(host.name)
      recap.fail(host.name, 'connect', error, connector.isUnreachable(error))
      if (error instanceof RunLockHeldError) fatal = true
      throw error
    }
  }

  const runOne = async (task: Task, host: Host, out: ListrTaskWrapper<unknown, any, any>) => {
    if (stopped(host, out)) return
    let remote: Remote
    try {
      remote = await connector.connect(host)
    } catch (error) {
      down.add(host.name)
      recap.fail(host.name, task.name, error, connector.isUnreachable(error))
      throw error
    }
    const ctx = new HostContext(host, inventory, task.name, options, remote, log, (r) => show(out, host.name, r, config), (other) => connector.connect(other))
    try {
      const skipped = await runOnHost(ctx, () => runBody(task, ctx))
      const counts = recap.host(host.name)
      counts.ok += ctx.reports.length - ctx.changed
      counts.changed += ctx.changed
      if (skipped) {
        counts.skipped++
        out.skip(`${host.name}: nothing to do`)
      } else {
        out.title = `${host.name}: ${ctx.changed} ${config.check ? 'would change' : 'changed'}, ${ctx.reports.length - ctx.changed} ok`
      }
    } catch (error) {
      const counts = recap.host(host.name)
      counts.ok += ctx.reports.length - ctx.changed
      counts.changed += ctx.changed
      down.add(host.name)
      recap.fail(host.name, task.name, error, connector.isUnreachable(error))
      if (config.failFast || task.anyErrorsFatal) fatal = true
      throw error
    }
  }

  const connecting = {
    title: 'connect',
    task: (_: unknown, parent: ListrTaskWrapper<unknown, any, any>) => parent.newListr(
      touched.map((host) => ({ title: host.name, task: (_: unknown, out: ListrTaskWrapper<unknown, any, any>) => limit(() => connectOne(host, out)) })),
      { concurrent: true, exitOnError: false },
    ),
  }

  const tasks = new Listr([
    connecting,
    ...play.tasks.map((task) => ({
      title: task.name,
      task: (_: unknown, parent: ListrTaskWrapper<unknown, any, any>) => {
        const selected = new Set(selectHosts(task.hosts, inventory).map((h) => h.name))
        const hosts = config.hosts.filter((h) => selected.has(h.name) && !down.has(h.name))
        if (hosts.length === 0) return parent.skip(`${task.name}: no hosts`)
        const serial = task.serial ? pLimit(task.serial) : undefined
        const schedule = (fn: () => Promise<void>) => (serial ? serial(() => limit(fn)) : limit(fn))
        return parent.newListr(
          hosts.map((host) => ({
            title: host.name,
            task: (_: unknown, out: ListrTaskWrapper<unknown, any, any>) => schedule(() => runOne(task, host, out)),
          })),
          { concurrent: true, exitOnError: false },
        )
      },
    })),
  ], {
    concurrent: false,
    exitOnError: false,
    renderer: config.renderer,
    fallbackRenderer: 'simple',
    registerSignalListeners: false, // listr2 would exit(127) on Ctrl-C; the CLI stops the run in order instead
    rendererOptions: { collapseErrors: false, collapseSubtasks: false, showErrorMessage: true } as any,
  })
  try {
    await tasks.run()
  } catch {
    // Failures are in the recap; listr rethrows the first one only.
  }
  return recap.finish()
}

/** Runs a task body and its notified handlers; returns true when the host had nothing to do. */
async function runBody(task: Task, ctx: HostContext): Promise<boolean> {
  if (task.when && !(await task.when(ctx))) return true
  await task.run(ctx)
  await runHandlers(task, ctx)
  return false
}

/** The handlers the host's operations notified, once each, in the order the task lists them. */
export async function runHandlers(task: Pick<Task, 'name' | 'handlers'>, ctx: HostContext): Promise<void> {
  for (const name of ctx.notified) {
    if (!task.handlers?.[name]) throw new Error(`task ${task.name} notified an unknown handler: ${name}`)
  }
  for (const [name, handler] of Object.entries(task.handlers ?? {})) {
    if (!ctx.notified.has(name)) continue
    ctx.handling = name
    await handler(ctx)
    ctx.handling = undefined
  }
}

/** Hosts work in parallel, so every line names its host. */
function show(out: ListrTaskWrapper<unknown, any, any>, host: string, report: OpReport, options: RunOptions) {
  if (report.status !== 'changed') {
    if (options.verbose) out.output = `${host}: ok: ${report.op}`
    return
  }
  const verb = options.check ? 'would change' : 'changed'
  out.output = `${host}: ${verb}: ${report.op}${report.summary ? ` — ${report.summary}` : ''}`
  if (options.diff && report.diff) out.output = report.diff
}
