// Secrets registered here never reach the terminal, the run log, errors or reports.
const secrets = new Set<string>()
export const MASK = '********'

/** Registers a value as secret and returns it unchanged. */
export function secret<T extends string | undefined>(value: T): T {
  if (value && value.length >= 4) secrets.add(value)
  return value
}

/** Replaces every registered secret in text with a mask. Longest first, so a secret inside another is masked whole. */
export function mask(text: string): string {
  if (secrets.size === 0 || !text) return text
  let out = text
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(MASK)
  return out
}

export function isSecret(value: string): boolean {
  return secrets.has(value)
}
