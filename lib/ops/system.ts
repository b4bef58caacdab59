// Host identity: the hostname, now and after a reboot.
import type { OpReport } from '../context.js'
import { TaskError } from '../errors.js'
import { hostnameFact } from '../facts/hostname.js'
import { operate, type OperationOptions } from '../operation.js'
import { changeOf, sh } from './steps.js'

export function hostname(name: string, options: OperationOptions = {}): Promise<OpReport> {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) throw new TaskError(`system.hostname: ${JSON.stringify(name)} is not a valid host name`)
  return operate(`hostname ${name}`, async () => {
    const fact = await hostnameFact()
    return changeOf([
      fact.current !== name ? { summary: `set hostname (was ${fact.current})`, script: sh`hostname ${name}` } : null,
      fact.persisted !== name ? { summary: 'write /etc/hostname', script: sh`printf '%s\\n' ${name} > /etc/hostname` } : null,
    ])
  }, options, ['hostname', '/etc/hostname'])
}
