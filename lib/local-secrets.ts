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

/** Letters and digits only, so the value needs no quoting in any config format. */
export function randomToken(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('')
}
