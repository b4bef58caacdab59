// Kernel parameters: the current values of a list of sysctl keys. A key the kernel does not have is left out.
import { buildCommand } from '../remote.js'
import { readFact, type FactQuery } from './query.js'

export function sysctlQuery(keys: string[]): FactQuery<Map<string, string>> {
  // -e: unknown keys are no error (they are just missing from the result).
  const script = `${buildCommand(['sysctl -e -- ', ' 2>/dev/null'], [keys.map(normalizeKey)])}\ntrue`
  return { name: `sysctl ${keys.join(' ')}`, script, parse: parseSysctl }
}

export function parseSysctl(output: string): Map<string, string> {
  const values = new Map<string, string>()
  for (const line of output.split('\n')) {
    const at = line.indexOf(' = ')
    if (at > 0) values.set(line.slice(0, at), normalizeValue(line.slice(at + 3)))
  }
  return values
}

/** sysctl accepts net/ipv4/ip_forward too, and prints net.ipv4.ip_forward. */
export const normalizeKey = (key: string): string => key.trim().replaceAll('/', '.')

/** Multi-value parameters print tab-separated; compare them with single spaces. */
export const normalizeValue = (value: string): string => value.trim().split(/\s+/).join(' ')

export function sysctlValues(keys: string[]): Promise<Map<string, string>> {
  return readFact(sysctlQuery(keys))
}
