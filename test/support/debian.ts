// Debian packages a script needs on this machine, installed with apt-get when missing, so that every entry point
// (npm test, the lab, the demo, the bench) works on a fresh machine.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** A file that shows the package is installed, and the package that brings it. */
export type Requirement = [file: string, debianPackage: string]

export function ensureDebianPackages(requirements: Requirement[], log: (line: string) => void = () => {}): void {
  const missing = [...new Set(requirements.filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg))]
  if (missing.length === 0) return
  log(`installing Debian packages: ${missing.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env })
}
