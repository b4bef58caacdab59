// The state of one path: whether it exists, its type, mode, owner and group, and for a regular file its sha256
// and (when asked, and small enough) its content as text.
import { TaskError } from '../errors.js'
import { buildCommand } from '../remote.js'
import { parseKeyValues, readFact, type FactQuery } from './query.js'

export type FileType = 'file' | 'directory' | 'symlink' | 'other'

export interface PresentFile {
  path: string
  exists: true
  type: FileType
  /** Permission bits, e.g. 0o644. */
  mode: number
  uid: number
  /** The user name, or UNKNOWN when the uid has none. */
  owner: string
  gid: number
  group: string
  size: number
  /** Regular files only. */
  sha256?: string
  /** Regular files only, when asked for and at most MAX_CONTENT_BYTES. */
  content?: string
  /** Symbolic links only. */
  target?: string
}

export type FileFact = { path: string; exists: false } | PresentFile

export interface FileQueryOptions {
  /** Also read the content (as text), for diffs and line edits. Leave off for secrets. */
  content?: boolean
}

export const MAX_CONTENT_BYTES = 1024 * 1024

const CONTENT_MARK = 'content:\n'

export function fileQuery(path: string, options: FileQueryOptions = {}): FactQuery<FileFact> {
  const sh = (pieces: TemplateStringsArray, ...values: unknown[]) => buildCommand(pieces, values)
  const script = [
    sh`p=${path}`,
    `if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo exists=no; exit 0; fi`,
    `stat --printf 'exists=yes\\ntype=%F\\nmode=%a\\nuid=%u\\nowner=%U\\ngid=%g\\ngroup=%G\\nsize=%s\\n' -- "$p" || exit`,
    `if [ -L "$p" ]; then printf 'target=%s\\n' "$(readlink -- "$p")"; exit 0; fi`,
    `[ -f "$p" ] || exit 0`,
    `sha=$(sha256sum < "$p") || exit`,
    `printf 'sha256=%s\\n' "\${sha%% *}"`,
    options.content ? `if [ "$(stat -c %s -- "$p")" -le ${MAX_CONTENT_BYTES} ]; then printf 'content:\\n'; cat -- "$p"; fi` : '',
  ].join('\n')
  return { name: `file ${path}`, script, parse: (output, code) => parseFileFact(path, output, code) }
}

export function parseFileFact(path: string, output: string, code: number): FileFact {
  // The header lines come first, so the first content mark is ours even if the content holds one too.
  const contentAt = output.indexOf(`\n${CONTENT_MARK}`)
  const header = contentAt < 0 ? output : output.slice(0, contentAt + 1)
  const content = contentAt < 0 ? undefined : output.slice(contentAt + 1 + CONTENT_MARK.length)
  const fields = parseKeyValues(header)
  if (code !== 0 || !fields.exists) throw new TaskError(`cannot read the state of ${path} (exit code ${code})`)
  if (fields.exists === 'no') return { path, exists: false }
  const type = fileType(fields.type)
  if (type === 'file' && !fields.sha256) throw new TaskError(`cannot read ${path}: no checksum (permission denied?)`)
  return {
    path,
    exists: true,
    type,
    mode: parseInt(fields.mode, 8),
    uid: Number(fields.uid),
    owner: fields.owner,
    gid: Number(fields.gid),
    group: fields.group,
    size: Number(fields.size),
    ...(fields.sha256 ? { sha256: fields.sha256 } : {}),
    ...(content !== undefined ? { content } : {}),
    ...(fields.target !== undefined ? { target: fields.target } : {}),
  }
}

function fileType(statType = ''): FileType {
  if (statType.startsWith('regular')) return 'file'
  if (statType === 'directory') return 'directory'
  if (statType === 'symbolic link') return 'symlink'
  return 'other'
}

export function fileFact(path: string, options: FileQueryOptions = {}): Promise<FileFact> {
  return readFact(fileQuery(path, options))
}
