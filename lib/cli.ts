// The command line every task module and the site play share: `tsx tasks/<name>.ts [flags]`.
import { realpathSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { InventoryError, loadInventory, type Host, type Inventory } from './inventory.js'
import { inventoryTypeErrors } from './inventory-typecheck.js'
import { FileLog } from './log.js'
import { SshConnector } from './pool.js'
import { RunLock } from './run-lock.js'
import { runPlay } from './runner.js'
import type { Play, Task } from './task.js'

export const EXIT_OK = 0
export const EXIT_USAGE = 1
export const EXIT_HOSTS_FAILED = 2

const FLAGS = {
  check: { type: 'boolean', help: 'show what would change, change nothing' },
  diff: { type: 'boolean', help: 'show a unified diff of every file change' },
  limit: { type: 'string', help: 'host or group names, comma separated: run on these only' },
  forks: { type: 'string', help: 'hosts worked on in parallel (default 20)' },
  only: { type: 'string', help: 'task names, comma separated: run these only' },
  skip: { type: 'string', help: 'task names, comma separated: do not run these' },
  verbose: { type: 'boolean', help: 'show unchanged operations too' },
  inventory: { type: 'string', help: 'inventory file (default: $KUBEPLAY_INVENTORY or ./hosts.ts)' },
  report: { type: 'string', help: 'write the recap as JSON to this file' },
  'fail-fast': { type: 'boolean', help: 'stop the whole play at the first failed host' },
  'accept-new-host-keys': { type: 'boolean', help: 'record unknown SSH host keys (a changed key still fails)' },
  'break-lock': { type: 'boolean', help: 'remove the run lock another run left on the hosts (only if that run is gone)' },
  yes: { type: 'boolean', help: 'answer yes to confirmations (reset)' },
  help: { type: 'boolean', help: 'show this help' },
} as const

export interface CliOptions {
  check: boolean
  diff: boolean
  verbose: boolean
  forks: number
  failFast: boolean
  acceptNewHostKeys: boolean
  breakLock: boolean
  yes: boolean
  inventory: string
  report?: string
  limit?: string[]
  only?: string[]
  skip?: string[]
}

class UsageError extends Error {}

/** Runs the task or play when its module is the program started (`tsx tasks/x.ts`), not when imported. */
export async function main(meta: ImportMeta, target: Task | Play): Promise<void> {
  if (!isEntryPoint(meta.url)) return
  process.exitCode = await runCli(process.argv.slice(2), target)
}

export async function runCli(argv: string[], target: Task | Play): Promise<number> {
  const play = 'tasks' in target ? target : { name: target.name, tasks: [target] }
  let options: CliOptions
  let inventory: Inventory
  let hosts: Host[]
  let selected: Play
  try {
    options = parseFlags(argv)
    if (argv.includes('--help')) {
      console.log(help(play))
      return EXIT_OK
    }
    inventory = await loadInventory(options.inventory).catch(async (error) => { throw await withTypeErrors(error, options.inventory) })
    hosts = limitHosts(inventory, options.limit)
    selected = selectTasks(play, options)
  } catch (error) {
    if (error instanceof UsageError || error instanceof InventoryError) {
      console.error(`kubeplay: ${error.message}`)
      if (error instanceof UsageError) console.error(`run with --help for usage`)
      return EXIT_USAGE
    }
    throw error
  }

  const log = new FileLog(join('.kubeplay', 'logs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${play.name}.log`))
  const connector = new SshConnector(inventory, {
    acceptNewHostKeys: options.acceptNewHostKeys,
    lock: options.check ? undefined : new RunLock({ breakLock: options.breakLock }),
  })
  const interrupt = new AbortController()
  const onSigint = onInterrupt(interrupt, connector)
  process.on('SIGINT', onSigint)
  try {
    const recap = await runPlay(selected, inventory, {
      check: options.check,
      diff: options.diff,
      verbose: options.verbose,
      yes: options.yes,
      forks: options.forks,
      failFast: options.failFast,
      hosts,
      renderer: process.stdout.isTTY ? 'default' : 'simple',
      signal: interrupt.signal,
    }, connector, log)
    console.log(`\n${recap.format()}`)
    console.log(`log: ${log.path}`)
    recap.commands = connector.commandCounts()
    if (options.report) recap.write(options.report)
    if (interrupt.signal.aborted) return 130
    return recap.succeeded ? EXIT_OK : EXIT_HOSTS_FAILED
  } finally {
    process.off('SIGINT', onSigint)
    await connector.closeAll()
  }
}

/**
 * Ctrl-C once: no new work starts, running commands finish. Twice: running commands are killed. Either way the
 * run then ends normally: locks released, connections closed, the recap so far printed. Three times: exit now.
 */
function onInterrupt(interrupt: AbortController, connector: SshConnector): () => void {
  let presses = 0
  return () => {
    presses++
    if (presses === 1) {
      console.error('\ninterrupted: no new work starts; running commands finish (Ctrl-C again to kill them)')
      interrupt.abort()
    } else if (presses === 2) {
      console.error('\ninterrupted again: killing the running commands (Ctrl-C again to quit at once)')
      void connector.abortRunning('interrupted')
    } else {
      process.exit(130)
    }
  }
}

/** A bad inventory file: add the compiler's errors, which name the line (syntax and type errors). */
async function withTypeErrors(error: unknown, file: string): Promise<unknown> {
  if (!(error instanceof InventoryError)) return error
  const typeErrors = await inventoryTypeErrors(file)
  if (typeErrors.length === 0) return error
  return new InventoryError([...error.problems, ...typeErrors.map((e) => `type error: ${e}`)], file)
}

export function parseFlags(argv: string[]): CliOptions {
  let values: Record<string, string | boolean | undefined>
  try {
    const options = Object.fromEntries(Object.entries(FLAGS).map(([k, v]) => [k, { type: v.type }]))
    values = parseArgs({ args: argv, options: options as any, strict: true, allowPositionals: false }).values as typeof values
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const forks = values.forks === undefined ? 20 : Number(values.forks)
  if (!Number.isInteger(forks) || forks < 1) throw new UsageError(`--forks must be a positive integer, got ${values.forks}`)
  return {
    check: Boolean(values.check),
    diff: Boolean(values.diff),
    verbose: Boolean(values.verbose),
    forks,
    failFast: Boolean(values['fail-fast']),
    acceptNewHostKeys: Boolean(values['accept-new-host-keys']),
    breakLock: Boolean(values['break-lock']),
    yes: Boolean(values.yes),
    inventory: (values.inventory as string | undefined) ?? process.env.KUBEPLAY_INVENTORY ?? 'hosts.ts',
    report: values.report as string | undefined,
    limit: list(values.limit),
    only: list(values.only),
    skip: list(values.skip),
  }
}

function list(value: string | boolean | undefined): string[] | undefined {
  if (typeof value !== 'string') return undefined
  return value.split(',').map((s) => s.trim()).filter(Boolean)
}

export function limitHosts(inventory: Inventory, limit?: string[]): Host[] {
  if (!limit) return inventory.hosts
  const wanted = new Set<string>()
  for (const item of limit) {
    const group = item === 'all' ? inventory.hosts.map((h) => h.name) : inventory.groups[item]
    const host = inventory.hosts.find((h) => h.name === item)
    if (!group && !host) throw new UsageError(`--limit ${item}: no host or group of that name in ${inventory.source ?? 'the inventory'}`)
    for (const name of group ?? [item]) wanted.add(name)
  }
  return inventory.hosts.filter((h) => wanted.has(h.name))
}

export function selectTasks(play: Play, options: Pick<CliOptions, 'only' | 'skip'>): Play {
  const names = play.tasks.map((t) => t.name)
  for (const [flag, given] of [['--only', options.only], ['--skip', options.skip]] as const) {
    for (const name of given ?? []) {
      if (!names.includes(name)) throw new UsageError(`${flag} ${name}: no such task (tasks: ${names.join(', ')})`)
    }
  }
  const tasks = play.tasks.filter((t) => (!options.only || options.only.includes(t.name)) && !options.skip?.includes(t.name))
  return { name: play.name, tasks }
}

function help(play: Play): string {
  const flags = Object.entries(FLAGS).map(([name, f]) => `  --${(name + (f.type === 'string' ? ' <value>' : '')).padEnd(28)} ${f.help}`)
  return [`usage: tsx <task or play file> [flags]`, '', `${play.name}: ${play.tasks.map((t) => t.name).join(' → ')}`, '', 'flags:', ...flags].join('\n')
}

function isEntryPoint(moduleUrl: string): boolean {
  if (!process.argv[1]) return false
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}
