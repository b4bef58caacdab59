// One SSH connection per host for the whole run, opened on first use; the host's run lock taken with its first
// command; a sudo password asked at most once.
import { createInterface } from 'node:readline'
import type { ExecResult, Remote } from './context.js'
import type { Host, Inventory } from './inventory.js'
import { RunLockHeldError, type RunLock } from './run-lock.js'
import type { Connector } from './runner.js'
import { secret } from './secrets.js'
import { Connection, UnreachableError } from './ssh/index.js'

export interface PoolOptions {
  acceptNewHostKeys?: boolean
  /** Taken on every host with its first command, released by closeAll. None in check mode: it writes nothing. */
  lock?: RunLock
}

export class SshConnector implements Connector {
  private readonly connections = new Map<string, Connection>()
  private readonly jumpPool = new Map<string, Connection>()
  private readonly locked = new Map<string, LockingRemote>()
  private sudoPassword?: Promise<string | undefined>

  constructor(private readonly inventory: Inventory, private readonly options: PoolOptions = {}) {}

  async connect(host: Host): Promise<Remote> {
    let connection = this.connections.get(host.name)
    if (!connection) {
      connection = new Connection(host, {
        knownHostsFile: expandHome(this.inventory.ssh.knownHosts),
        acceptNewHostKeys: this.options.acceptNewHostKeys,
        connectTimeoutMs: this.inventory.ssh.connectTimeoutMs,
        sudoPassword: () => (this.sudoPassword ??= this.askSudoPassword()),
        jumpPool: this.jumpPool,
      })
      this.connections.set(host.name, connection)
    }
    await connection.connect()
    const { lock } = this.options
    if (!lock) return connection
    let locked = this.locked.get(host.name)
    if (!locked) this.locked.set(host.name, (locked = new LockingRemote(connection, lock, host.name)))
    return locked
  }

  /** Kills the commands running now on every host (the second Ctrl-C). */
  async abortRunning(reason: string): Promise<void> {
    await Promise.allSettled([...this.connections.values()].map((c) => c.abortRunning(reason)))
  }

  isUnreachable(error: unknown): boolean {
    return error instanceof UnreachableError
  }

  /** Commands sent per host, for the benchmark. */
  commandCounts(): Record<string, number> {
    return Object.fromEntries([...this.connections].map(([name, c]) => [name, c.stats.commands]))
  }

  /** Releases the run locks this run took, then closes every connection. */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.locked].map(async ([name, locked]) => {
      if (!(await locked.holdsLock())) return
      const timeoutMs = this.inventory.ssh.connectTimeoutMs ?? 10_000
      await this.options.lock!.release({ exec: (command) => this.connections.get(name)!.exec(command, { timeoutMs }) })
    }))
    await Promise.allSettled([...this.connections.values()].map((c) => c.close()))
    await Promise.allSettled([...this.jumpPool.values()].map((c) => c.close()))
  }

  /** From the inventory's environment variable or KUBEPLAY_SUDO_PASSWORD, else asked on the terminal once. */
  private async askSudoPassword(): Promise<string | undefined> {
    const fromEnv = process.env[this.inventory.ssh.sudoPasswordEnv ?? 'KUBEPLAY_SUDO_PASSWORD']
    if (fromEnv !== undefined) return secret(fromEnv)
    if (!process.stdin.isTTY) return undefined
    return secret(await promptHidden('sudo password for the remote hosts: '))
  }
}

/** A host's connection that takes the run lock with its first command; later commands wait until it holds. */
class LockingRemote implements Remote {
  private taken?: Promise<void>

  constructor(private readonly connection: Connection, private readonly lock: RunLock, private readonly hostName: string) {}

  exec(command: string, opts?: ExecOptions): Promise<ExecResult> {
    if (this.taken) return this.taken.then(() => this.connection.exec(command, opts))
    const first = this.execTakingLock(command, opts)
    this.taken = first.then(() => undefined)
    this.taken.catch(() => {}) // the first command's caller gets the error; later ones get it from `taken`
    return first
  }

  /** False when the lock was never asked for or another run holds it; after any other failure it may be ours. */
  async holdsLock(): Promise<boolean> {
    return this.taken?.then(() => true, (error) => !(error instanceof RunLockHeldError)) ?? false
  }

  private async execTakingLock(command: string, opts?: ExecOptions): Promise<ExecResult> {
    const result = await this.connection.exec(this.lock.takeThen(command), opts)
    if (!this.lock.refused(result)) return result
    await this.lock.take(this.connection, this.hostName)
    return this.connection.exec(command, opts)
  }
}

type ExecOptions = Parameters<Remote['exec']>[1]

function expandHome(path: string | undefined): string | undefined {
  return path?.startsWith('~/') ? `${process.env.HOME}${path.slice(1)}` : path
}

async function promptHidden(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
  const write = (rl as unknown as { _writeToOutput: (s: string) => void })
  write._writeToOutput = (s: string) => {
    if (s.includes(question)) process.stderr.write(question)
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve))
  } finally {
    rl.close()
    process.stderr.write('\n')
  }
}
