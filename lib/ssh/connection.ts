// One SSH connection per host, opened on first use and shared by every command of the run.
import { randomBytes } from 'node:crypto'
import { constants as osConstants, homedir } from 'node:os'
import { Readable, type Duplex } from 'node:stream'
import { NodeSSH } from 'node-ssh'
import pLimit, { type LimitFunction } from 'p-limit'
import type { ClientChannel } from 'ssh2'
import { planAuth, type AuthPlan } from './auth.js'
import { parseJump, readSshConfig, resolveTarget, type HostSettings, type SshTarget } from './config.js'
import {
  AuthError, CommandAbortedError, CommandTimeoutError, ConnectionLostError, connectFailure, describeEndpoint, SshError, UnreachableError, type Endpoint,
} from './errors.js'
import { checkHostKey } from './host-key.js'
import { killByTagScript } from './kill.js'
import { KnownHosts } from './known-hosts.js'
import { DEFAULTS, type ConnectionOptions, type ConnectionStats, type ExecOptions, type ExecResult, type HostKeyInfo } from './options.js'
import { shellQuote } from './quote.js'
import { hostKeyAlgorithmsPreferring, openTcpSocket } from './socket.js'
import { detectSudo, remoteCommand, type SudoMode } from './sudo.js'

export type { ConnectionOptions, ConnectionStats, ExecOptions, ExecResult, HostKeyInfo } from './options.js'

export class Connection {
  readonly endpoint: Endpoint
  readonly stats: ConnectionStats = { connects: 0, commands: 0, bytesSent: 0, bytesReceived: 0 }
  hostKey?: HostKeyInfo
  private readonly target: SshTarget
  private ssh = new NodeSSH()
  private readonly channels: LimitFunction
  /** Channels running a command, with the tag that names the command's bash on the host. */
  private readonly running = new Map<ClientChannel, string>()
  private readonly tagPrefix = `kubeplay-${randomBytes(4).toString('hex')}-`
  private sequence = 0
  private opening?: Promise<void>
  private reopening?: Promise<void>
  private lost?: SshError
  private closed = false
  private readonly aborted = new WeakMap<ClientChannel, string>()
  private sudoMode?: Promise<SudoMode>
  private ownJump?: Connection

  constructor(readonly host: HostSettings, private readonly options: ConnectionOptions = {}) {
    const sshConfig = options.sshConfigFile === false ? { identityFiles: [] } : readSshConfig(host.name, options.sshConfigFile)
    this.target = resolveTarget(host, sshConfig)
    this.endpoint = { name: host.name, address: this.target.address, port: this.target.port }
    this.channels = pLimit(options.maxChannels ?? 5)
  }

  get user(): string {
    return this.target.user
  }

  get knownHostsFile(): string {
    return this.options.knownHostsFile ?? `${homedir()}/.ssh/known_hosts`
  }

  /**
   * Opens the connection once; concurrent and later callers share the same attempt (and its failure). A
   * connection found lost is opened again ONCE per run; commands that were running when it dropped are not
   * repeated (they failed: whether they ran is unknown).
   */
  async connect(): Promise<void> {
    this.opening ??= this.open()
    await this.opening
    if (this.lost && !this.closed) {
      this.reopening ??= this.reopen(this.lost)
      await this.reopening
    }
  }

  /**
   * Kills every command running now: each fails with CommandAbortedError. Later commands run normally
   * (releasing the run lock needs one). sshd (OpenSSH 9.2 at least) ignores the SSH "signal" request, so a
   * separate command finds each one's bash by its tag and kills its process group (or it and its children).
   */
  async abortRunning(reason: string): Promise<void> {
    const tags = [...this.running].map(([channel, tag]) => {
      this.aborted.set(channel, reason)
      return tag
    })
    await this.killOnHost(tags)
    for (const channel of this.running.keys()) if (this.aborted.has(channel)) channel.close()
  }

  /** Stops the commands with these tags (kill.ts), outside the channel limit: they may hold every slot. */
  private async killOnHost(tags: string[]): Promise<void> {
    if (tags.length === 0 || this.lost) return
    const direct = this.target.user === 'root'
    const remote = remoteCommand(killByTagScript(tags), undefined, direct ? { kind: 'direct' } : await this.sudo())
    await this.ssh.execCommand(remote.command, { stdin: remote.stdin && Readable.from([remote.stdin]) }).catch(() => undefined)
  }

  /**
   * Runs `command` under `bash -c` with LC_ALL=C; through sudo for a non-root user unless `sudo: false`.
   * Never throws for a non-zero exit; throws UnreachableError/ConnectionLostError, AuthError (sudo) and
   * CommandTimeoutError.
   */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    await this.connect()
    const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs ?? DEFAULTS.commandTimeoutMs
    const direct = this.target.user === 'root' || options.sudo === false
    const tag = `${this.tagPrefix}${++this.sequence}`
    const remote = remoteCommand(command, options.stdin, direct ? { kind: 'direct' } : await this.sudo(), tag)
    return this.run(remote.command, remote.stdin, timeoutMs, command, tag)
  }

  /**
   * Writes `content` to `remotePath` (through sudo like exec, so /etc works for a sudoer), created with
   * umask 077 then chmod `mode` (default 0644). Not atomic: write a temp path and rename it.
   */
  async putContent(remotePath: string, content: Buffer | string, options: { mode?: number; sudo?: boolean } = {}): Promise<void> {
    const path = shellQuote(remotePath)
    const mode = (options.mode ?? 0o644).toString(8)
    const result = await this.exec(`umask 077 && cat > ${path} && chmod ${mode} ${path}`, { stdin: content, sudo: options.sudo })
    if (result.code !== 0) {
      throw new SshError(this.endpoint, `${describeEndpoint(this.endpoint)}: cannot write ${remotePath}: ${result.stderr.trim() || `exit code ${result.code}`}`)
    }
  }

  /** A TCP stream to address:port opened by the remote host (for jump hosts and tunnels). */
  async forwardOut(address: string, port: number): Promise<Duplex> {
    await this.connect()
    return this.ssh.forwardOut('127.0.0.1', 0, address, port)
  }

  async close(): Promise<void> {
    this.closed = true
    await this.opening?.catch(() => undefined)
    await this.reopening?.catch(() => undefined)
    this.lost ??= new ConnectionLostError(this.endpoint, `${describeEndpoint(this.endpoint)}: connection already closed`)
    this.ssh.dispose()
    await this.ownJump?.close()
  }

  private async open(): Promise<void> {
    const knownHosts = await KnownHosts.read(this.knownHostsFile)
    const auth = this.planAuth()
    const deadline = Date.now() + (this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs)
    const sock = await this.openSocket(deadline)
    let hostKeyProblem: SshError | undefined
    try {
      await this.ssh.connect({
        sock,
        username: this.target.user,
        readyTimeout: Math.max(1, deadline - Date.now()),
        keepaliveInterval: this.options.keepaliveIntervalMs ?? DEFAULTS.keepaliveIntervalMs,
        keepaliveCountMax: this.options.keepaliveCountMax ?? DEFAULTS.keepaliveCountMax,
        authHandler: auth.methods,
        algorithms: { serverHostKey: hostKeyAlgorithmsPreferring(knownHosts.lookup(this.target.address, this.target.port)) },
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          const accept = { acceptNew: this.options.acceptNewHostKeys === true, knownHostsFile: this.knownHostsFile }
          checkHostKey(knownHosts, key, this.endpoint, this.target, accept, (info) => (this.hostKey = info)).then(
            () => verify(true),
            (problem: SshError) => { hostKeyProblem = problem; verify(false) },
          )
        },
      })
    } catch (err) {
      sock.destroy()
      this.ssh.dispose()
      throw hostKeyProblem ?? connectFailure(err as Error & { level?: string }, this.endpoint, this.target.user, auth.tried, this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs)
    }
    this.watch()
    this.stats.connects++
  }

  private async reopen(lost: SshError): Promise<void> {
    this.ssh.dispose()
    this.ssh = new NodeSSH()
    try {
      await this.open()
    } catch (err) {
      throw new ConnectionLostError(this.endpoint, `${lost.message}; one reconnect was tried and failed: ${(err as Error).message}`, { cause: err })
    }
    this.lost = undefined
  }

  private planAuth(): AuthPlan {
    const agent = this.options.agentSocket === false ? undefined : this.options.agentSocket ?? process.env.SSH_AUTH_SOCK
    const plan = planAuth(this.target.user, this.target.keyFiles, agent || undefined)
    const missingKey = this.host.key && !plan.tried.includes(`key ${this.target.keyFiles[0]}`)
    if (missingKey) throw new AuthError(this.endpoint, `${describeEndpoint(this.endpoint)}: key file ${this.target.keyFiles[0]} not found`)
    if (plan.methods.length === 0) {
      throw new AuthError(this.endpoint, `${describeEndpoint(this.endpoint)}: no SSH key to offer: set ssh.key in the inventory, start ssh-agent, or create ~/.ssh/id_ed25519`)
    }
    return plan
  }

  private async openSocket(deadline: number): Promise<Duplex> {
    const jump = this.jumpConnection()
    if (!jump) return openTcpSocket(this.endpoint, deadline)
    try {
      return await jump.forwardOut(this.target.address, this.target.port)
    } catch (err) {
      if (err instanceof SshError) throw err // the jump host itself failed; its message names it
      const reason = (err as Error).message.replace(/^\(SSH\) Channel open failure: /, '')
      throw new UnreachableError(this.endpoint, `${describeEndpoint(this.endpoint)}: unreachable through jump host ${describeEndpoint(jump.endpoint)}: ${reason}`)
    }
  }

  private jumpConnection(): Connection | undefined {
    if (this.options.jump) return this.options.jump
    const spec = this.target.jump
    if (!spec) return undefined
    const pooled = this.options.jumpPool?.get(spec)
    if (pooled) return pooled
    const hops = spec.split(',')
    const last = parseJump(hops[hops.length - 1])
    const jump = new Connection(
      { name: last.address, user: last.user ?? this.target.user, port: last.port, key: this.host.key, jump: hops.slice(0, -1).join(',') || undefined },
      { ...this.options, jump: undefined },
    )
    if (this.options.jumpPool) this.options.jumpPool.set(spec, jump)
    else this.ownJump = jump
    return jump
  }

  /** After connect: no unhandled 'error' events, many execs without listener warnings, loss recorded. */
  private watch(): void {
    const client = this.ssh.connection!
    client.setMaxListeners(100) // node-ssh adds one 'error' listener per exec while its channel opens
    const where = describeEndpoint(this.endpoint)
    // After a reconnect, the old client's late events must not mark the new connection lost.
    const current = () => this.ssh.connection === client
    client.on('error', (err: Error) => {
      if (current()) this.lost ??= new ConnectionLostError(this.endpoint, `${where}: connection lost: ${err.message}`, { cause: err })
    })
    client.on('close', () => {
      if (current()) this.lost ??= new ConnectionLostError(this.endpoint, `${where}: connection lost`)
    })
  }

  private sudo(): Promise<SudoMode> {
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs
    const run = (command: string, stdin?: string) => this.run(command, stdin, timeoutMs, command)
    this.sudoMode ??= detectSudo(run, this.endpoint, this.target.user, this.options.sudoPassword)
    return this.sudoMode
  }

  private abortedError(channel: ClientChannel | undefined, label: string): CommandAbortedError | undefined {
    const reason = channel && this.aborted.get(channel)
    return reason ? new CommandAbortedError(this.endpoint, label, reason) : undefined
  }

  /**
   * One command on a channel, waiting for a free slot. A command that never got its channel because the connection
   * had dropped was certainly not run: it is sent again once over the reopened connection.
   */
  private run(remoteCommand: string, stdin: string | Buffer | undefined, timeoutMs: number, label: string, tag?: string): Promise<ExecResult> {
    return this.channels(async () => {
      const send = async () => {
        await this.connect() // lost while this command waited for a channel: not sent yet, so safe to reconnect
        if (this.lost) throw this.lost
        return this.send(remoteCommand, stdin, timeoutMs, label, tag)
      }
      try {
        return await send()
      } catch (err) {
        if (!unsent.has(err as Error) || this.closed) throw err
        return send()
      }
    })
  }

  /** Sends the command, collects output as bytes and decodes once. */
  private async send(remoteCommand: string, stdin: string | Buffer | undefined, timeoutMs: number, label: string, tag?: string): Promise<ExecResult> {
    const input = stdin === undefined ? undefined : Buffer.from(stdin)
    this.stats.commands++
    this.stats.bytesSent += Buffer.byteLength(remoteCommand) + (input?.length ?? 0)
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let channel: ClientChannel | undefined
    const execution = this.ssh.execCommand(remoteCommand, {
      stdin: input && Readable.from([input]),
      noTrim: true,
      onChannel: (opened) => {
        channel = opened
        if (tag) this.running.set(opened, tag)
      },
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => stderr.push(chunk),
    })
    const response = await withTimeout(execution, timeoutMs, () => {
      if (channel && tag) void this.killOnHost([tag]).finally(() => channel?.close())
      else channel?.close()
      return new CommandTimeoutError(this.endpoint, label, timeoutMs)
    }).catch((err: Error) => {
      const error = this.abortedError(channel, label) ?? (err instanceof SshError ? err : this.lost ?? new SshError(this.endpoint, `${describeEndpoint(this.endpoint)}: ${err.message}`, { cause: err }))
      if (!channel && this.lost) unsent.add(error)
      throw error
    }).finally(() => {
      if (channel) this.running.delete(channel)
    })
    const aborted = this.abortedError(channel, label)
    if (aborted) throw aborted
    if (response.code === null && response.signal === null) {
      throw this.lost ?? new ConnectionLostError(this.endpoint, `${describeEndpoint(this.endpoint)}: channel closed without an exit status: ${label}`)
    }
    const out = Buffer.concat(stdout)
    const err = Buffer.concat(stderr)
    this.stats.bytesReceived += out.length + err.length
    const result: ExecResult = { stdout: out.toString('utf8'), stderr: err.toString('utf8'), code: response.code ?? exitCodeFor(response.signal) }
    if (response.signal) result.signal = response.signal
    return result
  }

}

/** Errors of commands that never reached the host (no channel was opened). */
const unsent = new WeakSet<Error>()

/** The shell convention for a process killed by a signal ("SIGKILL"): 128 + its number. */
function exitCodeFor(signal: string | null): number {
  const number = osConstants.signals[signal as keyof typeof osConstants.signals]
  return number === undefined ? 255 : 128 + number
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms)
    promise.then(
      (value) => { clearTimeout(timer); resolve(value) },
      (err) => { clearTimeout(timer); reject(err) },
    )
  })
}
