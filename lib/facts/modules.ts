// Kernel modules: which of a list are present, loaded or built in. A built-in module does not show up in
// /proc/modules, and not always under /sys/module: a few leave other evidence, checked here too.
import { buildCommand, raw } from '../remote.js'
import { parseKeyValues, readFact, type FactQuery } from './query.js'

export interface KernelModules {
  present: Set<string>
  missing: Set<string>
  /** modprobe is installed (a host without it cannot load anything). */
  modprobe: boolean
}

/** Shell tests that tell a module is in the kernel even when /sys/module does not list it. */
const EVIDENCE: Record<string, string> = {
  overlay: 'grep -qw overlay /proc/filesystems',
  br_netfilter: 'test -e /proc/sys/net/bridge/bridge-nf-call-iptables',
  ip_tables: 'test -e /proc/net/ip_tables_names',
}

export function kernelModulesQuery(names: string[]): FactQuery<KernelModules> {
  const checks = names.map((name) => {
    const sysName = name.replaceAll('-', '_')
    const tests = [buildCommand(['test -d /sys/module/', ''], [sysName]), EVIDENCE[sysName]].filter(Boolean).join(' || ')
    return buildCommand(['if ', '; then echo ', '=present; else echo ', '=missing; fi'], [raw(tests), name, name])
  })
  const script = [...checks, 'if command -v modprobe >/dev/null 2>&1; then echo modprobe=yes; else echo modprobe=no; fi'].join('\n')
  return { name: `kernel modules ${names.join(' ')}`, script, parse: (output) => parseModules(names, output) }
}

export function parseModules(names: string[], output: string): KernelModules {
  const v = parseKeyValues(output)
  const present = new Set(names.filter((n) => v[n] === 'present'))
  return { present, missing: new Set(names.filter((n) => !present.has(n))), modprobe: v.modprobe === 'yes' }
}

export function kernelModules(names: string[]): Promise<KernelModules> {
  return readFact(kernelModulesQuery(names))
}
