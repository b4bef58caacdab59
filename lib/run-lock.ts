// One run at a time on a host: a lock file on the host itself, taken when the run connects, removed at its end.
//
// On the host rather than on the operator's machine, because that is what must be protected: two operators on
// two laptops (or one inventory copied twice) are stopped as surely as two terminals. In /run (tmpfs), so a
// rebooted host never keeps a lock. Created with O_EXCL (`set -C`), so two runs can never both take it.
import { createHash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname, userInfo } from 'node:os'
import type { ExecResult, Remote } from './context.js'
import { shellQuote } from './ssh/quote.js'

export const DEFAULT_LOCK_FILE = '/run/kubeplay.lock'
const HELD = 75

/** Who holds a lock: written into the lock file as one line of JSON. */
export interface LockHolder {
  host: string
  user: string
  pid: number
  started: string
  run: string
  /** A hash of /etc/machine-id: host names repeat across containers and laptops, machine ids do not. */
  machine: string
}

/** Another run holds the lock on a host: this run stops before changing anything. */
export class RunLockHeldError extends Error {
  constructor(readonly host: string, readonly path: string, readonly holder: LockHolder | string) {
    super([
      `${host}: another kubeplay run holds the lock ${path}: ${describeHolder(holder)}.`,
      `Wait for that run to end. If it is gone (killed, its machine crashed), run again with --break-lock.`,
    ].join('\n'))
    this.name = 'RunLockHeldError'
  }
}

export class RunLockError extends Error {}

export interface RunLockOptions {
  /** Default $KUBEPLAY_RUN_LOCK, else /run/kubeplay.lock. */
  path?: string
  /** Remove a lock held by another run (--break-lock). */
  breakLock?: boolean
}

export class RunLock {
  readonly path: string
  readonly me: LockHolder = {
    host: hostname(), user: userInfo().username, pid: process.pid, started: new Date().toISOString(), run: randomUUID(), machine: machineId(),
  }
  private readonly line = JSON.stringify(this.me)

  constructor(private readonly options: RunLockOptions = {}) {
    this.path = options.path || process.env.KUBEPLAY_RUN_LOCK || DEFAULT_LOCK_FILE
  }

  /**
   * Takes the lock on the host behind `remote` (a second call for the same run is a no-op). A lock left by a run
   * of this machine whose process is gone is taken over; any other is broken only with `breakLock`.
   */
  async take(remote: Remote, hostName: string): Promise<void> {
    const held = await this.tryTake(remote, hostName)
    if (held === undefined) return
    const holder = parseHolder(held)
    if (!this.options.breakLock && !isDeadHereToo(holder)) throw new RunLockHeldError(hostName, this.path, holder)
    await remote.exec(`[ "$(cat -- ${shellQuote(this.path)} 2>/dev/null)" != ${shellQuote(held)} ] || rm -f -- ${shellQuote(this.path)}`)
    const again = await this.tryTake(remote, hostName)
    if (again !== undefined) throw new RunLockHeldError(hostName, this.path, parseHolder(again))
  }

  /**
   * `command`, run only once this run holds the lock: the lock costs no round trip of its own. When the lock is
   * not free, the command exits at once without running, and `refused` says so; `take` then does the rest
   * (a stale lock, --break-lock, the error naming the holder).
   */
  takeThen(command: string): string {
    return [
      `if ! ${this.create} && [ "$(cat -- ${shellQuote(this.path)} 2>/dev/null)" != ${shellQuote(this.line)} ]; then`,
      `  echo ${this.refusal} >&2; exit ${HELD}`,
      'fi',
      command,
    ].join('\n')
  }

  refused(result: ExecResult): boolean {
    return result.code === HELD && result.stderr.startsWith(this.refusal)
  }

  /** Creates the lock file with this run's line, only if there is none (O_EXCL); true when it did. */
  private get create(): string {
    return `(set -C; printf '%s\\n' ${shellQuote(this.line)} > ${shellQuote(this.path)}) 2>/dev/null`
  }

  private get refusal(): string {
    return `kubeplay-run-lock-not-free-${this.me.run}`
  }

  /** Removes the lock if it is still this run's. */
  async release(remote: Remote): Promise<void> {
    await remote.exec(`[ "$(cat -- ${shellQuote(this.path)} 2>/dev/null)" != ${shellQuote(this.line)} ] || rm -f -- ${shellQuote(this.path)}`)
  }

  /** undefined when the lock is now this run's; else the holder's line. */
  private async tryTake(remote: Remote, hostName: string): Promise<string | undefined> {
    const f = shellQuote(this.path)
    const me = shellQuote(this.line)
    const result = await remote.exec([
      `if ${this.create}; then exit 0; fi`,
      `held=$(cat -- ${f}) || exit 1`,
      `[ "$held" = ${me} ] && exit 0`,
      `printf '%s' "$held"; exit ${HELD}`,
    ].join('\n'))
    if (result.code === 0) return undefined
    if (result.code === HELD) return result.stdout
    throw new RunLockError(`${hostName}: cannot take the run lock ${this.path}: ${result.stderr.trim() || `exit code ${result.code}`}`)
  }
}

function parseHolder(line: string): LockHolder | string {
  try {
    const holder = JSON.parse(line) as LockHolder
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? holder : line
  } catch {
    return line
  }
}

function describeHolder(holder: LockHolder | string): string {
  if (typeof holder === 'string') return `unreadable lock content ${JSON.stringify(holder.slice(0, 200))}`
  return `user ${holder.user} on ${holder.host}, pid ${holder.pid}, started ${holder.started}`
}

/** A run started on this machine whose process no longer exists: killed without cleaning up. */
function isDeadHereToo(holder: LockHolder | string): boolean {
  if (typeof holder === 'string' || holder.machine !== machineId()) return false
  try {
    process.kill(holder.pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

function machineId(): string {
  let id: string
  try {
    id = readFileSync('/etc/machine-id', 'utf8').trim()
  } catch {
    id = hostname()
  }
  return createHash('sha256').update(id).digest('hex').slice(0, 16)
}
