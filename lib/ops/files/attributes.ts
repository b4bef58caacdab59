// Mode, owner and group: as the caller gives them, as a fact reports them, and the script that sets them.
import { TaskError } from '../../errors.js'
import type { PresentFile } from '../../facts/file.js'
import { sh, type Step } from '../steps.js'

export interface AttributeOptions {
  /** Octal, as a string ('0644') or a number (0o644). */
  mode?: string | number
  /** A user name or a numeric uid. */
  owner?: string
  /** A group name or a numeric gid. */
  group?: string
}

export interface Attributes {
  mode: number
  owner: string
  group: string
}

export function attributes(options: AttributeOptions, defaultMode: number): Attributes {
  return {
    mode: options.mode === undefined ? defaultMode : parseMode(options.mode),
    owner: options.owner ?? 'root',
    group: options.group ?? 'root',
  }
}

export function parseMode(mode: string | number): number {
  if (typeof mode === 'number') {
    if (Number.isInteger(mode) && mode >= 0 && mode <= 0o7777) return mode
  } else if (/^[0-7]{3,4}$/.test(mode)) {
    return parseInt(mode, 8)
  }
  throw new TaskError(`invalid file mode ${JSON.stringify(mode)}: use an octal string like '0644' or a number like 0o644`)
}

export const formatMode = (mode: number): string => mode.toString(8).padStart(4, '0')

/** What differs, one phrase each ("mode 0644 → 0600"); empty when nothing does. */
export function attributeDrift(have: PresentFile, want: Attributes): string[] {
  const drift: string[] = []
  if (have.mode !== want.mode) drift.push(`mode ${formatMode(have.mode)} → ${formatMode(want.mode)}`)
  if (!matches(want.owner, have.owner, have.uid)) drift.push(`owner ${have.owner} → ${want.owner}`)
  if (!matches(want.group, have.group, have.gid)) drift.push(`group ${have.group} → ${want.group}`)
  return drift
}

function matches(want: string, name: string, id: number): boolean {
  return want === name || want === String(id)
}

/** Sets owner, group and mode of the path in the shell variable named `variable` (chmod last: chown clears setuid). */
export function setAttributesScript(variable: string, want: Attributes): string {
  return [
    sh`chown -- ${`${want.owner}:${want.group}`} ` + `"$${variable}"`,
    sh`chmod -- ${formatMode(want.mode)} ` + `"$${variable}"`,
  ].join('\n')
}

/** The step that fixes mode/owner/group drift of an existing path without touching its content. */
export function attributesStep(path: string, drift: string[], want: Attributes): Step | null {
  if (drift.length === 0) return null
  return { summary: `${path}: ${drift.join(', ')}`, script: [sh`p=${path}`, setAttributesScript('p', want)].join('\n') }
}
