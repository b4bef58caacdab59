// Facts are read with read-only commands, so they also run in check mode. Several facts can be gathered in ONE
// round trip: each query's script runs in its own subshell, and a random marker line with its exit code follows
// its output, so the output of one query (a file's content, say) can never be mistaken for the next.
import { randomBytes } from 'node:crypto'
import { currentHost, type HostContext } from '../context.js'
import { TaskError } from '../errors.js'

export interface FactQuery<T> {
  /** What the fact is, for error messages: "file /etc/fstab". */
  readonly name: string
  /** A POSIX shell script that only reads. It runs in a subshell; `exit` ends only this query. */
  readonly script: string
  parse(output: string, code: number): T
}

type Results<Q extends readonly FactQuery<unknown>[]> = { -readonly [K in keyof Q]: Q[K] extends FactQuery<infer T> ? T : never }

/**
 * Reads the queries on the current host. Queries asked for in the same turn of the event loop (operations
 * started together with Promise.all) go out in ONE command.
 */
export function gather<const Q extends readonly FactQuery<unknown>[]>(...queries: Q): Promise<Results<Q>> {
  const ctx = currentHost()
  let batch = pending.get(ctx)
  if (!batch) {
    batch = { queries: [], waiting: [] }
    pending.set(ctx, batch)
    const taken = batch
    setImmediate(() => {
      pending.delete(ctx)
      void send(ctx, taken)
    })
  }
  const first = batch.queries.length
  batch.queries.push(...queries)
  return new Promise<unknown[]>((resolve, reject) => batch.waiting.push({ first, count: queries.length, resolve, reject })) as Promise<Results<Q>>
}

/** Per host (and task): the queries asked for in this turn of the event loop, not sent yet. */
const pending = new WeakMap<HostContext, Batch>()

interface Batch {
  queries: FactQuery<unknown>[]
  waiting: { first: number; count: number; resolve: (values: unknown[]) => void; reject: (error: unknown) => void }[]
}

async function send(ctx: HostContext, { queries, waiting }: Batch): Promise<void> {
  let outputs: { text: string; code: number }[]
  try {
    outputs = await runQueries(ctx, queries)
  } catch (error) {
    for (const w of waiting) w.reject(error)
    return
  }
  for (const w of waiting) {
    try {
      w.resolve(queries.slice(w.first, w.first + w.count).map((q, i) => q.parse(outputs[w.first + i].text, outputs[w.first + i].code)))
    } catch (error) {
      w.reject(error)
    }
  }
}

async function runQueries(ctx: HostContext, queries: FactQuery<unknown>[]): Promise<{ text: string; code: number }[]> {
  const marker = `__kubeplay_fact_${randomBytes(8).toString('hex')}__`
  const script = queries
    .map((q) => `(\n${q.script}\n)\nprintf '\\n%s:%d\\n' ${marker} "$?"`)
    .join('\n')
  const result = await ctx.run(script, { readonly: true, nothrow: true })
  const outputs = splitSections(result.stdout, marker, queries.length)
  if (!outputs) {
    throw new TaskError(`reading facts on ${ctx.host.name} (task ${ctx.task}) failed: ${queries.map((q) => q.name).join(', ')}` +
      ` (exit code ${result.code})${result.stderr.trim() ? `:\n${result.stderr.trim()}` : ''}`)
  }
  return outputs
}

export async function readFact<T>(query: FactQuery<T>): Promise<T> {
  const [value] = await gather(query)
  return value
}

function splitSections(stdout: string, marker: string, count: number): { text: string; code: number }[] | undefined {
  const sections: { text: string; code: number }[] = []
  let from = 0
  for (let i = 0; i < count; i++) {
    const at = stdout.indexOf(`\n${marker}:`, from)
    if (at < 0) return undefined
    const codeStart = at + marker.length + 2
    const lineEnd = stdout.indexOf('\n', codeStart)
    const code = Number(stdout.slice(codeStart, lineEnd < 0 ? undefined : lineEnd))
    sections.push({ text: stdout.slice(from, at), code })
    from = lineEnd < 0 ? stdout.length : lineEnd + 1
  }
  return sections
}

/** "key=value" lines to a record; later keys win, lines without "=" are ignored. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return out
}
