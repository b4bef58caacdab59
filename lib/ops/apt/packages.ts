// Debian packages: installed (at a pinned version if asked) or removed, held or not.
import { currentHost, type OpReport } from '../../context.js'
import { TaskError } from '../../errors.js'
import { aptPackages, type AptPackage } from '../../facts/apt.js'
import { operate, type OperationOptions } from '../../operation.js'
import { raw, type RawShell } from '../../remote.js'
import { changeOf, sh, type Step } from '../steps.js'
import { aptRunState, needsListsUpdate } from './run-state.js'

export interface PackagesOptions extends OperationOptions {
  names: string[]
  state?: 'present' | 'absent'
  /** Pinned versions by package name; a trailing * matches a prefix ("1.34.2-*"), as apt-get does. */
  version?: Record<string, string>
  /** true: `apt-mark hold` (apt leaves their version alone); false: unhold; unset: leave as is. */
  hold?: boolean
  /**
   * if-missing (default): `apt-get update` before installing anything, once per host per run (again after a
   * repository changed); never: install from the lists as they are.
   */
  update?: 'if-missing' | 'never'
  /** How long to wait for the dpkg lock another process holds (unattended-upgrades, a manual apt). Default 120. */
  lockTimeoutS?: number
}

const NAME = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/
const VERSION = /^[A-Za-z0-9.+~:*-]+$/
const DEFAULT_LOCK_TIMEOUT_S = 120
const aptGet = (lockTimeoutS: number) =>
  raw(`DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=${lockTimeoutS} -o Dpkg::Options::=--force-confold`)
// Held packages are changed only when the caller asked for exactly that (a pinned version, or removal).
const CHANGE_HELD = raw('--allow-downgrades --allow-change-held-packages')
const APPLY_TIMEOUT_MS = 30 * 60_000

// apt through a proxy can hang: each try is bounded, and a failed one is retried.
const UPDATE_LISTS = `for attempt in 1 2 3; do
  if timeout -k 10 120 apt-get update -q -o DPkg::Lock::Timeout=120 -o Acquire::http::Timeout=30 -o Acquire::Retries=2; then break; fi
  if [ "$attempt" = 3 ]; then echo 'kubeplay: apt-get update failed 3 times' >&2; exit 1; fi
  sleep $((attempt * 5))
done`

export function packages(options: PackagesOptions): Promise<OpReport> {
  const { names, state = 'present', version = {}, hold, lockTimeoutS = DEFAULT_LOCK_TIMEOUT_S } = checkOptions(options)
  const aptCommand = aptGet(lockTimeoutS)
  return operate(`packages ${names.join(' ')}`, async () => {
    const ctx = currentHost()
    const installed = await aptPackages(names)
    const have = (name: string) => installed.get(name)!
    const toInstall = state === 'present' ? names.filter((n) => !have(n).installed || !versionMatches(have(n), version[n])) : []
    const toRemove = state === 'absent' ? names.filter((n) => have(n).installed) : []
    const toHold = hold === true && state === 'present' ? names.filter((n) => !have(n).held) : []
    const toUnhold = hold === false ? names.filter((n) => have(n).held) : []
    const runState = aptRunState(ctx)
    const updating = toInstall.length > 0 && options.update !== 'never' && needsListsUpdate(runState)
    const change = changeOf([
      updating ? { summary: 'apt-get update', script: UPDATE_LISTS } : null,
      toInstall.length ? installStep(aptCommand, toInstall.map((n) => ({ name: n, have: have(n), version: version[n] }))) : null,
      toRemove.length ? { summary: `remove ${toRemove.join(', ')}`, script: sh`${aptCommand} remove ${CHANGE_HELD} ${toRemove}` } : null,
      toHold.length ? { summary: `hold ${toHold.join(', ')}`, script: sh`apt-mark hold ${toHold} >/dev/null` } : null,
      toUnhold.length ? { summary: `unhold ${toUnhold.join(', ')}`, script: sh`apt-mark unhold ${toUnhold} >/dev/null` } : null,
    ].map((step) => step && { ...step, explain: lockHeld(lockTimeoutS) }), { timeoutMs: APPLY_TIMEOUT_MS })
    if (!change || !updating) return change
    return {
      ...change,
      apply: async () => {
        await change.apply()
        runState.listsUpdated = true
        runState.listsStale = false
      },
    }
  }, options, names.map((name) => `package:${name}`))
}

/**
 * apt's "Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (unattended-upgr)" (or, when apt
 * cannot tell the holder, "Unable to acquire the dpkg frontend lock") as one clear error.
 */
function lockHeld(lockTimeoutS: number): Step['explain'] {
  return (result, ctx) => {
    const held = /Could not get lock (\S+?)\.?(?: It is held by process (\d+)(?: \(([^)]*)\))?)?\s*$/m.exec(result.stderr)
      ?? /Unable to acquire the dpkg frontend lock \((\S+)\)/.exec(result.stderr)
    if (!held) return undefined
    const [, lock, pid, command] = held
    const holder = pid ? `process ${pid}${command ? ` (${command})` : ''}` : 'another process'
    return new TaskError(`${ctx.host.name} (task ${ctx.task}): the dpkg lock ${lock} is held by ${holder}; ` +
      `waited ${lockTimeoutS} s for it. Let that finish (or stop it), then run again.`)
  }
}

function installStep(aptCommand: RawShell, items: { name: string; have: AptPackage; version?: string }[]): Step {
  const specs = items.map((i) => (i.version ? `${i.name}=${i.version}` : i.name))
  const pinned = items.some((i) => i.version)
  const what = items.map((i, n) => (i.have.installed ? `${specs[n]} (was ${i.have.version})` : specs[n]))
  return {
    summary: `install ${what.join(', ')}`,
    // A pinned version may be older than the installed one, or held at another.
    script: pinned ? sh`${aptCommand} install ${CHANGE_HELD} ${specs}` : sh`${aptCommand} install ${specs}`,
  }
}

function versionMatches(pkg: AptPackage, wanted: string | undefined): boolean {
  if (wanted === undefined) return true
  if (pkg.version === undefined) return false
  return wanted.endsWith('*') ? pkg.version.startsWith(wanted.slice(0, -1)) : pkg.version === wanted
}

function checkOptions(options: PackagesOptions): PackagesOptions {
  if (options.names.length === 0) throw new TaskError('apt.packages: no package names')
  for (const name of options.names) {
    if (!NAME.test(name)) throw new TaskError(`apt.packages: invalid package name ${JSON.stringify(name)}`)
  }
  for (const [name, version] of Object.entries(options.version ?? {})) {
    if (!options.names.includes(name)) throw new TaskError(`apt.packages: version given for ${name}, which is not in names`)
    if (!VERSION.test(version)) throw new TaskError(`apt.packages: invalid version ${JSON.stringify(version)} for ${name}`)
  }
  return options
}
