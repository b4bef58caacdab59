// The unified diff shown with --diff for a file whose content changes. Secrets are masked; a secret file shows none.
import { createRequire } from 'node:module'
import type { FileFact } from '../../facts/file.js'
import { mask } from '../../secrets.js'

// Loaded with the first diff, so that a run which changes nothing does not pay for loading it.
type CreatePatch = typeof import('diff').createTwoFilesPatch
let createPatch: CreatePatch | undefined
const loadCreatePatch = (): CreatePatch => (createRequire(import.meta.url)('diff') as typeof import('diff')).createTwoFilesPatch

export function contentDiff(before: FileFact, after: string | Buffer, options: { secret?: boolean } = {}): string {
  const path = before.path
  if (options.secret) return `${path}: content changed (secret, not shown)\n`
  const afterText = asText(after)
  const beforeText = before.exists ? before.content : ''
  if (afterText === undefined || (beforeText !== undefined && !isText(beforeText))) return `${path}: binary content changed\n`
  if (beforeText === undefined) return `${path}: content changed (the old content was not read: too large)\n`
  return mask((createPatch ??= loadCreatePatch())(`${path} (before)`, `${path} (after)`, beforeText, afterText))
}

/** The text of content that is valid UTF-8 without NUL bytes, else undefined. */
export function asText(content: string | Buffer): string | undefined {
  if (typeof content === 'string') return content
  if (content.includes(0)) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content)
  } catch {
    return undefined
  }
}

// Remote content arrives decoded as UTF-8: binary bytes show up as NULs or replacement characters.
function isText(text: string): boolean {
  return !text.includes('\u0000') && !text.includes('\uFFFD')
}
