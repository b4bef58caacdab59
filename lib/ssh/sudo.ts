// How a command is sent: under bash with LC_ALL=C, and for a non-root user through sudo.
//
// The sudo password travels on stdin only (never on a command line): `sudo -S -p ''` reads it byte by byte up to
// the newline, and the command gets the rest of stdin. `-k` makes sudo ask every time, so a cached credential can
// never leave the password line for the command to read. A NOPASSWD user gets `sudo -n`, which fails instead of
// prompting.
import { describeEndpoint, AuthError, type Endpoint } from './errors.js'
import { shellQuote } from './quote.js'

/** How a command runs: directly (root user, or sudo: false), through sudo without a password, or with one. */
export type SudoMode = { kind: 'direct' } | { kind: 'nopasswd' } | { kind: 'password'; password: string }

export interface RemoteCommand {
  command: string
  stdin?: Buffer
}

/** `tag` becomes bash's $0: it names the process on the host, so that an abort can find and kill it. */
export function remoteCommand(command: string, stdin: string | Buffer | undefined, mode: SudoMode, tag = 'bash'): RemoteCommand {
  const inBash = `env LC_ALL=C bash -c ${shellQuote(command)} ${shellQuote(tag)}`
  const input = stdin === undefined ? undefined : Buffer.from(stdin)
  switch (mode.kind) {
    case 'direct':
      return { command: inBash, stdin: input }
    case 'nopasswd':
      return { command: `sudo -n -- ${inBash}`, stdin: input }
    case 'password':
      return { command: `sudo -S -k -p '' -- ${inBash}`, stdin: Buffer.concat([Buffer.from(`${mode.password}\n`), input ?? Buffer.alloc(0)]) }
  }
}

type Run = (command: string, stdin?: string) => Promise<{ code: number; stderr: string }>

/** Once per connection: is sudo password-less? If not, ask the run's provider once and check the password. */
export async function detectSudo(run: Run, endpoint: Endpoint, user: string, askPassword?: () => Promise<string | undefined>): Promise<SudoMode> {
  const where = describeEndpoint(endpoint)
  const probe = await run('sudo -n true')
  if (probe.code === 0) return { kind: 'nopasswd' }
  const password = await askPassword?.()
  if (password === undefined) {
    throw new AuthError(endpoint, `${where}: user ${user} cannot sudo without a password (${probe.stderr.trim()}); provide the sudo password or allow NOPASSWD`)
  }
  const check = await run(`sudo -S -k -p '' true`, `${password}\n`)
  if (check.code !== 0) throw new AuthError(endpoint, `${where}: sudo rejected the password of user ${user}`)
  return { kind: 'password', password }
}
