// What a playbook is made of: tasks (a name, the hosts they run on, a body) and plays (tasks in order).
import type { HostContext } from './context.js'
import type { Host, Inventory } from './inventory.js'

/** 'all', a group, several groups, or a predicate. */
export type HostSelector = string | string[] | ((host: Host, inventory: Inventory) => boolean)

export interface Task {
  name: string
  hosts: HostSelector
  /** Hosts at a time for rolling work, e.g. 1 to join masters one by one. Default: --forks. */
  serial?: number
  /** One failed host stops the whole play (e.g. the first control-plane init). */
  anyErrorsFatal?: boolean
  /** Decides per host whether the task has work to do; false reports the host as skipped. */
  when?: (host: HostContext) => boolean | Promise<boolean>
  /** Run once at the end of the task on a host that notified them, in the order written here. */
  handlers?: Record<string, (host: HostContext) => Promise<unknown>>
  run: (host: HostContext) => Promise<void>
}

export interface Play {
  name: string
  tasks: Task[]
}

export function task(definition: Task): Task {
  return definition
}

export function play(name: string, tasks: Task[]): Play {
  const seen = new Set<string>()
  for (const t of tasks) {
    if (seen.has(t.name)) throw new Error(`play ${name}: two tasks are named ${t.name}`)
    seen.add(t.name)
  }
  return { name, tasks }
}

export function selectHosts(selector: HostSelector, inventory: Inventory): Host[] {
  if (typeof selector === 'function') return inventory.hosts.filter((h) => selector(h, inventory))
  const groups = Array.isArray(selector) ? selector : [selector]
  if (groups.includes('all')) return inventory.hosts
  // Keep the group's own order: for masters it decides who inits and who holds the VIP.
  const names = [...new Set(groups.flatMap((g) => inventory.groups[g] ?? []))]
  return names.map((n) => inventory.hosts.find((h) => h.name === n)!).filter(Boolean)
}
