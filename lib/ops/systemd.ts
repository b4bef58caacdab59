// systemd units: enabled or not, started, stopped, restarted or reloaded; daemon-reload when a unit file changed.
import { currentHost, type OpReport } from '../context.js'
import { indent, TaskError } from '../errors.js'
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
  return operate(`service ${name}`, async ({ order }) => {
    const ctx = currentHost()
    // A restart or reload handler after this run started the service with the change in place: nothing to do.
    if ((options.state === 'restarted' || options.state === 'reloaded') && ctx.launchedSinceNotice(name)) return null
    const [unit] = await gather(systemdUnitQuery(name))
    // In check mode the package that brings the unit may be one that "would be installed" a step earlier.
    if (unit.loadState === 'not-found' && ctx.check && wants(options)) {
      return { summary: `${describe(options)} (its unit is not installed yet)`, apply: async () => {} }
    }
    const steps = serviceSteps(unit, options)
    if (steps.some((step) => step?.summary === 'start' || step?.summary === 'restart')) ctx.launched(name, order)
    return changeOf(steps)
  }, { notify: options.notify }, [`service:${name}`])
}

function wants(options: ServiceOptions): boolean {
  return options.enabled === true || (options.state !== undefined && options.state !== 'stopped')
}

function serviceSteps(unit: SystemdUnit, options: ServiceOptions): (Step | null)[] {
  const { name } = unit
  const wantsIt = wants(options)
  if (unit.loadState !== 'loaded') {
    if (wantsIt || unit.loadState === 'masked') throw new TaskError(`systemd unit ${name} is ${unit.loadState}: cannot ${describe(options)} it`)
    return [] // not there, and not wanted enabled or running: as wanted
  }
  const enabled = ENABLED.has(unit.unitFileState)
  const running = RUNNING.has(unit.activeState)
  const action = (verb: string): Step => ({ summary: verb, script: sh`systemctl ${verb} -- ${name}` })
  // After a daemon-reload the type may be another: then the step asks systemd for it.
  const type = unit.needDaemonReload ? undefined : unit.type
  const launch = (verb: 'start' | 'restart' | 'reload') => launchStep(name, verb, type)
  return [
    unit.needDaemonReload ? { summary: 'daemon-reload', script: 'systemctl daemon-reload' } : null,
    options.enabled === true && !enabled ? action('enable') : null,
    options.enabled === false && ['enabled', 'enabled-runtime'].includes(unit.unitFileState) ? action('disable') : null,
    options.state === 'started' && !running ? launch('start') : null,
    options.state === 'stopped' && running ? action('stop') : null,
    options.state === 'restarted' ? launch('restart') : null,
    options.state === 'reloaded' ? launch(running ? 'reload' : 'start') : null,
  ]
}

/** Exit code of a launch step whose unit did not come up; its stderr then starts with the mark. */
const UNIT_FAILED = 98
const UNIT_FAILED_MARK = 'kubeplay-unit-failed'
const JOURNAL_LINES = 20
const SETTLE_TYPES = new Set(['simple', 'exec', 'idle'])

/**
 * start, restart or reload, then check the unit is still active (a second later for Type=simple): `systemctl
 * start` returns 0 for a Type=simple service that exits at once on a bad config. On failure, the unit's state and its journal's last
 * lines go to the error.
 */
function launchStep(name: string, verb: 'start' | 'restart' | 'reload', type?: string): Step {
  const mark = `${UNIT_FAILED_MARK} ${name}`
  const script = [
    'up=yes',
    sh`systemctl ${verb} -- ${name} || up=`,
    // forking, notify, oneshot and dbus units are up when systemctl returns; simple and exec ones are "up" at
    // once even when they die a moment later, so they get a second before the check.
    type === undefined
      ? sh`case "$(systemctl show -p Type --value -- ${name})" in simple|exec|idle) settle=1 ;; *) settle=0 ;; esac`
      : `settle=${SETTLE_TYPES.has(type) ? 1 : 0}`,
    sh`if [ -n "$up" ]; then sleep "$settle"; systemctl is-active --quiet -- ${name} || up=; fi`,
    'if [ -z "$up" ]; then',
    sh`  echo ${mark} >&2`,
    sh`  systemctl show -p ActiveState -p SubState -p Result -- ${name} | paste -sd ' ' >&2 || true`,
    sh`  journalctl --no-pager -o short-iso -n ${JOURNAL_LINES} -u ${name} >&2 || true`,
    `  exit ${UNIT_FAILED}`,
    'fi',
  ].join('\n')
  return {
    summary: verb,
    script,
    explain: (result, ctx) => {
      const at = result.stderr.indexOf(`${mark}\n`)
      if (result.code !== UNIT_FAILED || at < 0) return undefined
      const [state, ...journal] = result.stderr.slice(at + mark.length + 1).trimEnd().split('\n')
      return new TaskError(`systemd unit ${name} failed to ${verb} on ${ctx.host.name} (task ${ctx.task}): ${state}\n` +
        `  journal (last ${JOURNAL_LINES} lines of journalctl -u ${name}):\n${indent(journal.join('\n') || '(empty)', '    ')}`)
    },
  }
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
