// One line in a file, like Ansible's lineinfile: the rest of the file, its mode and owner are left as they are.
import type { OpReport } from '../../context.js'
import { TaskError } from '../../errors.js'
import { fileFact } from '../../facts/file.js'
import { operate, type OperationOptions } from '../../operation.js'
import { changeOf } from '../steps.js'
import { attributes, type AttributeOptions } from './attributes.js'
import { requireAbsolute } from './path.js'
import { fileStep } from './write.js'

export interface LineOptions extends OperationOptions {
  line: string
  /**
   * present: the last line matching it is replaced by `line` (appended when none matches);
   * absent: every line matching it is removed. Without it, lines equal to `line` are the ones meant.
   */
  regexp?: RegExp | string
  state?: 'present' | 'absent'
  /** When the file does not exist: create it (default) with these attributes (0644 root:root). */
  create?: boolean | AttributeOptions
  /** As for files.file: a command that checks the edited file before it stays in place. */
  validate?: string
}

export function line(path: string, options: LineOptions): Promise<OpReport> {
  requireAbsolute(path)
  if (options.line.includes('\n')) throw new TaskError(`files.line ${path}: the line must not contain a newline`)
  const state = options.state ?? 'present'
  return operate(`line in ${path}`, async () => {
    const fact = await fileFact(path, { content: true })
    if (!fact.exists) {
      if (state === 'absent') return null
      if (options.create === false) throw new TaskError(`${path} does not exist (and create is false)`)
      const created = attributes(typeof options.create === 'object' ? options.create : {}, 0o644)
      return changeOf([fileStep(fact, { path, content: `${options.line}\n`, ...created, validate: options.validate })])
    }
    if (fact.content === undefined) throw new TaskError(`${path} is too large to edit line by line`)
    const edit = editLines(fact.content, options.line, matcher(options), state)
    if (!edit) return null
    const step = fileStep(fact, { path, content: edit.content, mode: fact.mode, owner: String(fact.uid), group: String(fact.gid), validate: options.validate })
    return changeOf([step && { ...step, summary: `${path}: ${edit.summary}` }])
  }, { notify: options.notify }, [path])
}

function matcher(options: LineOptions): (text: string) => boolean {
  if (options.regexp === undefined) return (text) => text === options.line
  // Without the g and y flags, test() keeps no state between lines.
  const re = typeof options.regexp === 'string'
    ? new RegExp(options.regexp)
    : new RegExp(options.regexp.source, options.regexp.flags.replace(/[gy]/g, ''))
  return (text) => re.test(text)
}

/** The content with the line present or absent, and what was done; undefined when nothing changes. */
export function editLines(content: string, line: string, matches: (text: string) => boolean, state: 'present' | 'absent'): { content: string; summary: string } | undefined {
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n')
  const joined = (edited: string[]) => (edited.length ? `${edited.join('\n')}\n` : '')
  if (state === 'absent') {
    const kept = lines.filter((l) => !matches(l))
    const removed = lines.length - kept.length
    return removed ? { content: joined(kept), summary: `remove ${removed} line${removed > 1 ? 's' : ''}` } : undefined
  }
  const last = lastIndex(lines, matches)
  if (last >= 0 ? lines[last] === line : lines.includes(line)) return undefined
  if (last < 0) return { content: joined([...lines, line]), summary: 'append a line' }
  return { content: joined(lines.map((l, i) => (i === last ? line : l))), summary: `replace line ${last + 1}` }
}

function lastIndex(lines: string[], matches: (text: string) => boolean): number {
  for (let i = lines.length - 1; i >= 0; i--) if (matches(lines[i])) return i
  return -1
}
