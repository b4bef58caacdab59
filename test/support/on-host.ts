// Runs a function as a task body on one host, without the runner: for tests of operations and facts.
import { HostContext, runOnHost, type OpReport, type Remote } from '../../lib/context.js'
import { parseInventory, type Host, type Inventory } from '../../lib/inventory.js'
import { MemoryLog } from '../../lib/log.js'
import { runHandlers } from '../../lib/runner.js'
import type { Task } from '../../lib/task.js'

export interface OnHostOptions {
  check?: boolean
  diff?: boolean
  task?: string
  /** The host the body runs on: one of `inventory`'s (default its first), or the name of a one-host test inventory. */
  hostName?: string
  /**
   * The run's inventory. Pass the same one to several calls to make them one run (per-run state such as
   * "apt lists already updated" is kept per inventory).
   */
  inventory?: Inventory
  /** Run after the body as the runner runs a task's handlers: the notified ones, in this order. */
  handlers?: Task['handlers']
}

export interface OnHostResult<T> {
  value?: T
  error?: Error
  reports: OpReport[]
  changed: number
  /** The log lines (secrets masked as in a real run log). */
  lines: string[]
  /** Commands actually sent to the host. */
  commands: number
  notified: string[]
}

export async function onHost<T>(remote: Remote, body: () => Promise<T>, options: OnHostOptions = {}): Promise<OnHostResult<T>> {
  const inventory = options.inventory ?? testInventory(options.hostName)
  const host: Host | undefined = options.hostName ? inventory.hosts.find((h) => h.name === options.hostName) : inventory.hosts[0]
  if (!host) throw new Error(`onHost: the inventory has no host ${options.hostName}`)
  const log = new MemoryLog()
  const ctx = new HostContext(host, inventory, options.task ?? 'test', {
    check: options.check ?? false,
    diff: options.diff ?? true,
    verbose: false,
  }, remote, log)
  let value: T | undefined
  let error: Error | undefined
  try {
    value = await runOnHost(ctx, async () => {
      const value = await body()
      if (options.handlers) await runHandlers({ name: ctx.task, handlers: options.handlers }, ctx)
      return value
    })
  } catch (err) {
    error = err as Error
  }
  return { value, error, reports: ctx.reports, changed: ctx.changed, lines: log.lines, commands: ctx.commands, notified: [...ctx.notified] }
}

/** A one-host inventory; the address is never connected to: the Remote given to onHost is. */
export function testInventory(hostName = 'test-host', address = '127.0.0.1'): Inventory {
  return parseInventory({
    hosts: { [hostName]: { address } },
    groups: { masters: [hostName], nodes: [] },
    vip: { address: '127.0.0.254', interface: 'lo', routerId: 1 },
    cluster: { kubernetesVersion: '1.34.2' },
  })
}
