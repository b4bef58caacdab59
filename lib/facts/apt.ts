// Debian packages: installed version and hold status of a list of names, in one dpkg-query call.
import { readFact, type FactQuery } from './query.js'
import { buildCommand } from '../remote.js'

export interface AptPackage {
  name: string
  installed: boolean
  /** The installed version, when installed. */
  version?: string
  /** Marked hold (`apt-mark hold`): apt leaves its version alone. */
  held: boolean
  /** dpkg's status, e.g. "install ok installed", "deinstall ok config-files"; "unknown" when dpkg never saw it. */
  status: string
}

const FORMAT = '${Package}\\t${Version}\\t${Status}\\n'

export function aptPackagesQuery(names: string[]): FactQuery<Map<string, AptPackage>> {
  // dpkg-query exits 1 and complains when a name is unknown to it: that just means "not installed".
  const script = `${buildCommand(['dpkg-query -W -f=', ' ', ' 2>/dev/null'], [FORMAT, names])}\ntrue`
  return { name: `packages ${names.join(' ')}`, script, parse: (output) => parseDpkgQuery(names, output) }
}

export function parseDpkgQuery(names: string[], output: string): Map<string, AptPackage> {
  const packages = new Map<string, AptPackage>(names.map((name) => [name, { name, installed: false, held: false, status: 'unknown' }]))
  for (const line of output.split('\n')) {
    const [name, version, status] = line.split('\t')
    if (!name || status === undefined) continue
    const words = status.trim().split(/\s+/)
    const installed = words[words.length - 1] === 'installed'
    const known = packages.get(name)
    // Of several architectures of one package, the installed one tells.
    if (known && known.installed && !installed) continue
    packages.set(name, { name, installed, version: installed ? version : undefined, held: words[0] === 'hold', status: status.trim() })
  }
  return packages
}

export function aptPackages(names: string[]): Promise<Map<string, AptPackage>> {
  return readFact(aptPackagesQuery(names))
}
