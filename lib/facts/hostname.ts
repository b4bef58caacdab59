// The host's name as the kernel has it now, and as /etc/hostname sets it at boot.
import { readFact, type FactQuery } from './query.js'

export interface HostnameFact {
  current: string
  persisted: string
}

export const hostnameQuery: FactQuery<HostnameFact> = {
  name: 'hostname',
  script: `printf '%s\\n' "$(hostname)"; cat /etc/hostname 2>/dev/null || true`,
  parse: (output) => {
    const [current = '', persisted = ''] = output.split('\n')
    return { current: current.trim(), persisted: persisted.trim() }
  },
}

export const hostnameFact = () => readFact(hostnameQuery)
