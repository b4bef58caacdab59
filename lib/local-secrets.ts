// Secrets kubeplay generates once and keeps on the operator's machine (mode 0600, out of git):
// the keepalived password, later the bootstrap token and certificate key.
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Inventory } from './inventory.js'
import { secret } from './secrets.js'

const DIR = join('.kubeplay', 'secrets')

function storePath(inventory: Inventory): string {
  return join(DIR, `${inventory.cluster.name}-${inventory.vip.address}.json`)
}

/** The stored secret of that name for this cluster, generated on first use; always registered for masking. */
export function localSecret(inventory: Inventory, name: string, generate: () => string): string {
  const path = storePath(inventory)
  const store: Record<string, string> = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {}
  if (!store[name]) {
    store[name] = generate()
    mkdirSync(DIR, { recursive: true, mode: 0o700 })
    writeFileSync(path, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 })
  }
  chmodSync(path, 0o600)
  return secret(store[name])
}

const LETTERS_AND_DIGITS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** Letters and digits only by default, so the value needs no quoting in any config format. */
export function randomToken(length: number, alphabet = LETTERS_AND_DIGITS): string {
  // Rejection sampling: a byte maps to a character only below the largest multiple of the alphabet's size.
  const limit = 256 - (256 % alphabet.length)
  let out = ''
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) if (b < limit && out.length < length) out += alphabet[b % alphabet.length]
  }
  return out
}
