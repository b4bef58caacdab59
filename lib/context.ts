// The host a task body runs on. `$` and every operation find it through AsyncLocalStorage, zx style,
// so task code reads like a script: `await $\`systemctl is-active ${unit}\``.
import { AsyncLocalStorage } from 'node:async_hooks'
import { CommandError, TaskError } from './errors.js'
import type { Host, Inventory } from './inventory.js'
import type { RunLog } from './log.js'
import { Turns } from './turns.js'

export interface RunOptions {
  check: boolean
  diff: boolean
  verbose: boolean
  /** --yes: confirmations (reset) are answered yes. */
  yes?: boolean
  /** The hosts this run works on (the play's, or those of --limit), less those that failed or were unreachable. */
  hosts?: readonly Host[]
}

export interface ExecResult {
  stdout: string
  stderr: string
  code: number
  signal?: string
}

/** What a context needs from an SSH connection. */
export interface Remote {
  exec(command: string, opts?: { stdin?: string | Buffer; timeoutMs?: number }): Promise<ExecResult>
}

export interface CommandOptions {
  stdin?: string | Buffer
  nothrow?: boolean
  /** Safe in check mode: reads state, changes nothing. */
  readonly?: boolean
  timeoutMs?: number
  /** The output is a secret (a private key, a kubeconfig): the run log gets the command and exit code only. */
  secretOutput?: boolean
}

export interface CommandResult extends ExecResult {
  ok: boolean
  /** Not run: check mode and the command was not marked read-only. */
  skipped: boolean
}

export type OpStatus = 'ok' | 'changed'

export interface OpReport {
  op: string
  status: OpStatus
  summary?: string
  diff?: string
}

export class HostContext {
  readonly reports: OpReport[] = []
  readonly notified = new Set<string>()
  commands = 0
  /** The handler running now, if any (see launchedSinceNotice). */
  handling?: string
  /** Operations take turns to apply (turns.ts). */
  readonly turns = new Turns(() => `${this.host.name} (task ${this.task})`)
  private readonly noticeOrder = new Map<string, number>()
  private readonly launchOrder = new Map<string, number>()

  constructor(
    readonly host: Host,
    readonly inventory: Inventory,
    readonly task: string,
    readonly options: RunOptions,
    private readonly remote: Remote,
    private readonly log: RunLog,
    private readonly onReport: (report: OpReport) => void = () => {},
    private readonly connectTo?: (host: Host) => Promise<Remote>,
  ) {}

  /**
   * Runs `fn` with another host of the inventory as the current one, like Ansible's delegate_to (e.g. read the
   * CA hash on the first master while joining a node). Its operations count for this host.
   */
  async delegate<T>(hostName: string, fn: () => Promise<T>): Promise<T> {
    const other = this.inventory.hosts.find((h) => h.name === hostName)
    if (!other) throw new TaskError(`cannot delegate to ${hostName}: no such host in the inventory`)
    if (!this.connectTo) throw new TaskError(`cannot delegate to ${hostName}: no connections to other hosts here`)
    const remote = await this.connectTo(other)
    const forward = (report: OpReport) => {
      const shown = { ...report, op: `${report.op} (on ${hostName})` }
      this.reports.push(shown)
      this.onReport(shown)
    }
    const ctx = new HostContext(other, this.inventory, this.task, this.options, remote, this.log, forward, this.connectTo)
    return runOnHost(ctx, fn)
  }

  get check(): boolean {
    return this.options.check
  }

  async run(command: string, opts: CommandOptions = {}): Promise<CommandResult> {
    if (this.check && !opts.readonly) {
      this.log.skipped(this.host.name, this.task, command)
      return { stdout: '', stderr: '', code: 0, ok: true, skipped: true }
    }
    this.commands++
    const started = Date.now()
    const result = await this.remote.exec(command, { stdin: opts.stdin, timeoutMs: opts.timeoutMs })
    const logged = opts.secretOutput ? { ...result, stdout: result.stdout && '(secret output, not logged)' } : result
    this.log.command(this.host.name, this.task, command, logged, Date.now() - started)
    if (result.code !== 0 && !opts.nothrow) {
      throw new CommandError(this.host.name, this.task, command, result.code, result.stderr, result.stdout)
    }
    return { ...result, ok: result.code === 0, skipped: false }
  }

  report(report: OpReport): void {
    this.reports.push(report)
    this.log.report(this.host.name, this.task, report)
    this.onReport(report)
  }

  /** `order`: the notifying operation's turn. */
  notify(handler: string, order = Number.MAX_SAFE_INTEGER): void {
    this.notified.add(handler)
    this.noticeOrder.set(handler, Math.max(order, this.noticeOrder.get(handler) ?? 0))
  }

  /** A service was started or restarted by the operation in turn `order`. */
  launched(unit: string, order: number): void {
    this.launchOrder.set(unit, Math.max(order, this.launchOrder.get(unit) ?? 0))
  }

  /**
   * Inside a handler: was `unit` (re)started after the last change that notified this handler? Then it already
   * runs with that change, and a restart or reload would only cost time (keepalived takes a second to stop).
   */
  launchedSinceNotice(unit: string): boolean {
    const noticed = this.handling === undefined ? undefined : this.noticeOrder.get(this.handling)
    return noticed !== undefined && (this.launchOrder.get(unit) ?? 0) > noticed
  }

  get changed(): number {
    return this.reports.filter((r) => r.status === 'changed').length
  }
}

const storage = new AsyncLocalStorage<HostContext>()

export function runOnHost<T>(ctx: HostContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(ctx, fn)
}

/** `await delegateTo('kube-master01', () => $\`cat /etc/kubernetes/pki/ca.crt\`.readonly())` */
export function delegateTo<T>(hostName: string, fn: () => Promise<T>): Promise<T> {
  return currentHost().delegate(hostName, fn)
}

/** The host the calling task body runs on. */
export function currentHost(): HostContext {
  const ctx = storage.getStore()
  if (!ctx) throw new TaskError('no current host: remote commands and operations run only inside a task body')
  return ctx
}
