// What apt operations remember for the rest of a run, per host: whether the package lists were updated, and
// whether a repository changed since. A run is identified by its inventory object.
import type { HostContext } from '../../context.js'

export interface AptRunState {
  listsUpdated: boolean
  /** A repository was added or changed: the next install must update the lists first. */
  listsStale: boolean
}

const runs = new WeakMap<object, Map<string, AptRunState>>()

export function aptRunState(ctx: HostContext): AptRunState {
  let hosts = runs.get(ctx.inventory)
  if (!hosts) runs.set(ctx.inventory, (hosts = new Map()))
  let state = hosts.get(ctx.host.name)
  if (!state) hosts.set(ctx.host.name, (state = { listsUpdated: false, listsStale: false }))
  return state
}

export function needsListsUpdate(state: AptRunState): boolean {
  return !state.listsUpdated || state.listsStale
}
