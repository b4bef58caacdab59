// A block of lines between two marker lines, like Ansible's blockinfile: kubeplay owns the block, the rest of
// the file (and its mode and owner) stays as it is.
import type { OpReport } from '../../context.js'
import { TaskError } from '../../errors.js'
import { fileFact } from '../../facts/file.js'
import { operate, type OperationOptions } from '../../operation.js'
import { changeOf } from '../steps.js'
import { attributes } from './attributes.js'
import { requireAbsolute } from './path.js'
import { fileStep } from './write.js'

export interface BlockOptions extends OperationOptions {
  /** Names the block: the lines `# BEGIN <marker>` and `# END <marker>`. */
  marker: string
  /** The block's lines; empty or absent state removes the block. */
  content: string
  state?: 'present' | 'absent'
  validate?: string
}

export function block(path: string, options: BlockOptions): Promise<OpReport> {
  requireAbsolute(path)
  if (options.marker.includes('\n')) throw new TaskError(`files.block ${path}: the marker must be one line`)
  return operate(`block "${options.marker}" in ${path}`, async () => {
    const fact = await fileFact(path, { content: true })
    const state = options.state ?? 'present'
    if (!fact.exists) {
      if (state === 'absent') return null
      return changeOf([fileStep(fact, { path, content: withBlock('', options), ...attributes({}, 0o644), validate: options.validate })])
    }
    if (fact.content === undefined) throw new TaskError(`${path} is too large to edit`)
    const content = state === 'absent' ? withoutBlock(fact.content, options.marker) : withBlock(fact.content, options)
    if (content === fact.content) return null
    return changeOf([fileStep(fact, { path, content, mode: fact.mode, owner: String(fact.uid), group: String(fact.gid), validate: options.validate })])
  }, { notify: options.notify }, [path])
}

/** The file's text with the block in place: replaced where it was, appended when it was not there. */
export function withBlock(text: string, options: Pick<BlockOptions, 'marker' | 'content'>): string {
  const block = [`# BEGIN ${options.marker}`, ...options.content.replace(/\n$/, '').split('\n'), `# END ${options.marker}`]
  const lines = splitLines(text)
  const { begin, end } = findBlock(lines, options.marker)
  const edited = begin >= 0 ? [...lines.slice(0, begin), ...block, ...lines.slice(end + 1)] : [...lines, ...block]
  return `${edited.join('\n')}\n`
}

export function withoutBlock(text: string, marker: string): string {
  const lines = splitLines(text)
  const { begin, end } = findBlock(lines, marker)
  if (begin < 0) return text
  const kept = [...lines.slice(0, begin), ...lines.slice(end + 1)]
  return kept.length ? `${kept.join('\n')}\n` : ''
}

function splitLines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n')
}

function findBlock(lines: string[], marker: string): { begin: number; end: number } {
  const begin = lines.indexOf(`# BEGIN ${marker}`)
  const end = begin < 0 ? -1 : lines.indexOf(`# END ${marker}`, begin)
  if (begin >= 0 && end < 0) throw new TaskError(`the block "${marker}" has a BEGIN line but no END line: fix the file by hand`)
  return { begin, end }
}
