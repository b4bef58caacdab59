// systemd units: enabled or not, started, stopped, restarted or reloaded; daemon-reload when a unit file changed.
import type { OpReport } from '../context.js'
import { TaskError } from '../errors.js'
import { gather } from '../facts/query.js'
import { systemdUnitQuery, type SystemdUnit } from '../facts/systemd.js'
import { operate, type OperationOptions } from '../operation.js'
import { changeOf, sh, type Step } from './steps.js'

export interface ServiceOptions extends OperationOptions {
  enabled?: boolean
  /** restarted and reloaded always act (and report changed), like Ansible. */
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded'
}

// `systemctl enable` on these does nothing more: treat them as enabled (static units have no [Install]).
const ENABLED = new Set(['enabled', 'alias', 'static', 'indirect', 'generated'])
const RUNNING = new Set(['active', 'activating', 'reloading'])

export function service(name: string, options: ServiceOptions): Promise<OpReport> {
  return operate(`service ${name}`, async () => {
    const [unit] = await gather(systemdUnitQuery(name))
    return changeOf(serviceSteps(unit, options))
  }, { notify: options.notify })
}

function serviceSteps(unit: SystemdUnit, options: ServiceOptions): (Step | null)[] {
  const { name } = unit
  const wantsIt = options.enabled === true || (options.state !== undefined && options.state !== 'stopped')
  if (unit.loadState !== 'loaded') {
    if (wantsIt || unit.loadState === 'masked') throw new TaskError(`systemd unit ${name} is ${unit.loadState}: cannot ${describe(options)} it`)
    return [] // not there, and not wanted enabled or running: as wanted
  }
  const enabled = ENABLED.has(unit.unitFileState)
  const running = RUNNING.has(unit.activeState)
  const action = (verb: string): Step => ({ summary: verb, script: sh`systemctl ${verb} -- ${name}` })
  return [
    unit.needDaemonReload ? { summary: 'daemon-reload', script: 'systemctl daemon-reload' } : null,
    options.enabled === true && !enabled ? action('enable') : null,
    options.enabled === false && ['enabled', 'enabled-runtime'].includes(unit.unitFileState) ? action('disable') : null,
    options.state === 'started' && !running ? action('start') : null,
    options.state === 'stopped' && running ? action('stop') : null,
    options.state === 'restarted' ? action('restart') : null,
    options.state === 'reloaded' ? action(running ? 'reload' : 'start') : null,
  ]
}

function describe(options: ServiceOptions): string {
  return [options.enabled === true ? 'enable' : '', options.state ? options.state.replace(/ed$/, '') : ''].filter(Boolean).join(' and ')
}

/**
 * `systemctl daemon-reload`: with units, only when one of them needs it (NeedDaemonReload=yes); without, always.
 * systemd.service does this by itself for the unit it manages.
 */
export function daemonReload(units: string[] = []): Promise<OpReport> {
  return operate('daemon-reload', async () => {
    const stale = units.length ? (await gather(...units.map(systemdUnitQuery))).filter((u) => u.needDaemonReload) : []
    if (units.length && stale.length === 0) return null
    return changeOf([{
      summary: stale.length ? `daemon-reload (changed: ${stale.map((u) => u.name).join(', ')})` : 'daemon-reload',
      script: 'systemctl daemon-reload',
    }])
  })
}
