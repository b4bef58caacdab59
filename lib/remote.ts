// The remote `$`: a tagged template that runs a command on the current host, every value quoted.
import { currentHost, type CommandOptions, type CommandResult } from './context.js'
import { shellQuote } from './ssh/quote.js'

/** A trusted shell fragment, inserted unquoted. Use only for text the code itself wrote. */
export class RawShell {
  constructor(readonly text: string) {}
}
export const raw = (text: string): RawShell => new RawShell(text)

/** Builds a command line: strings and numbers become one quoted word each, arrays several. */
export function buildCommand(pieces: TemplateStringsArray | readonly string[], values: unknown[]): string {
  let command = pieces[0]
  values.forEach((value, i) => {
    command += quoteValue(value) + pieces[i + 1]
  })
  return command
}

function quoteValue(value: unknown): string {
  if (value instanceof RawShell) return value.text
  if (Array.isArray(value)) return value.map(quoteValue).join(' ')
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return shellQuote(String(value))
  throw new TypeError(`cannot interpolate ${value === null ? 'null' : typeof value} into a remote command`)
}

export class RemoteCommand implements PromiseLike<CommandResult> {
  private readonly options: CommandOptions = {}
  private started?: Promise<CommandResult>

  constructor(readonly command: string) {}

  /** Do not throw on a non-zero exit; inspect `.code` / `.ok` instead. */
  nothrow(): this {
    this.options.nothrow = true
    return this
  }

  /** The command only reads state, so it also runs in check mode. */
  readonly(): this {
    this.options.readonly = true
    return this
  }

  /** The output is a secret: it is not written to the run log. */
  secretOutput(): this {
    this.options.secretOutput = true
    return this
  }

  stdin(input: string | Buffer): this {
    this.options.stdin = input
    return this
  }

  timeout(ms: number): this {
    this.options.timeoutMs = ms
    return this
  }

  then<A = CommandResult, B = never>(
    onfulfilled?: ((value: CommandResult) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.started ??= currentHost().run(this.command, this.options)
    return this.started.then(onfulfilled, onrejected)
  }
}

/** `await $\`systemctl is-active ${unit}\`` runs on the current host under bash. */
export function $(pieces: TemplateStringsArray, ...values: unknown[]): RemoteCommand {
  return new RemoteCommand(buildCommand(pieces, values))
}
