import { readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Mustache from 'mustache'
import type { OpReport } from '../../context.js'
import { TaskError } from '../../errors.js'
import { fileWithContent, type FileOptions } from './file.js'

/** Template names are relative to the repository's files/, or to $KUBEPLAY_FILES_DIR (a site's own copy). */
export const FILES_DIR = process.env.KUBEPLAY_FILES_DIR
  ? resolve(process.env.KUBEPLAY_FILES_DIR)
  : fileURLToPath(new URL('../../../files/', import.meta.url))

export type TemplateOptions = Omit<FileOptions, 'content'>

/** A file rendered from a mustache template in files/ (no HTML escaping), then as `files.file`. */
export function template(path: string, templateFile: string, vars: Record<string, unknown>, options: TemplateOptions = {}): Promise<OpReport> {
  return fileWithContent(path, options, () => renderTemplate(templateFile, vars))
}

export async function renderTemplate(templateFile: string, vars: Record<string, unknown>): Promise<string> {
  const source = isAbsolute(templateFile) ? templateFile : join(FILES_DIR, templateFile)
  let text: string
  try {
    // Read at once (small files), so the rendering adds no event-loop turn and the file's facts still go out
    // with those of the operations started together with it.
    text = readFileSync(source, 'utf8')
  } catch (err) {
    throw new TaskError(`template ${templateFile}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  const missing = missingNames(Mustache.parse(text), vars)
  if (missing.length) {
    // Mustache would render them as empty strings: a broken config that looks fine.
    throw new TaskError(`template ${templateFile} uses ${missing.map((n) => `{{${n}}}`).join(', ')}, missing from its vars`)
  }
  return Mustache.render(text, vars, {}, { escape: (value: unknown) => String(value) })
}

// Only names outside sections are checked: inside one, a name may come from the section's item.
function missingNames(tokens: Mustache.TemplateSpans, vars: Record<string, unknown>): string[] {
  const names = tokens.filter((t) => t[0] === 'name' || t[0] === '&').map((t) => t[1])
  return [...new Set(names)].filter((name) => name !== '.' && lookup(vars, name) === undefined)
}

function lookup(vars: Record<string, unknown>, dotted: string): unknown {
  let value: unknown = vars
  for (const key of dotted.split('.')) {
    if (value === null || typeof value !== 'object' || !(key in value)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}
