// The lab's inventory as it is now. The lab rewrites the same hosts.ts for every host count, and an ES module is
// imported once per URL: a query string per lab start makes each one a new module.
import { statSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseInventory, type Inventory } from '../lib/inventory.js'

export async function labInventory(file: string): Promise<Inventory> {
  const url = `${pathToFileURL(file).href}?written=${statSync(file).mtimeMs}`
  const module = (await import(url)) as { default: unknown }
  return parseInventory(module.default, file)
}
