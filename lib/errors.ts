import { mask } from './secrets.js'

const STDERR_TAIL_LINES = 20

export function tail(text: string, lines = STDERR_TAIL_LINES): string {
  const all = text.trimEnd().split('\n')
  return all.slice(-lines).join('\n')
}

/** A remote command exited non-zero. Carries everything an operator needs to act on it, secrets masked. */
export class CommandError extends Error {
  constructor(
    readonly host: string,
    readonly task: string,
    readonly command: string,
    readonly code: number,
    readonly stderr: string,
    readonly stdout = '',
  ) {
    const output = tail(stderr) || tail(stdout)
    super(mask(
      `command failed on ${host} (task ${task}) with exit code ${code}\n` +
      `  $ ${command.length > 400 ? `${command.slice(0, 400)}…` : command}\n` +
      (output ? `  ${stderr.trim() ? 'stderr' : 'stdout'} (last lines):\n${indent(output, '    ')}` : '  (no output)'),
    ))
    this.name = 'CommandError'
  }
}

/** A failure the operator can fix without reading a stack trace: shown as its message only. */
export class TaskError extends Error {
  constructor(message: string) {
    super(mask(message))
    this.name = 'TaskError'
  }
}

export function indent(text: string, prefix: string): string {
  return text.split('\n').map((l) => prefix + l).join('\n')
}
