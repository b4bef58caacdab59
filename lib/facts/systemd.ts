// A systemd unit as `systemctl show` tells it.
import { TaskError } from '../errors.js'
import { buildCommand } from '../remote.js'
import { parseKeyValues, readFact, type FactQuery } from './query.js'

export interface SystemdUnit {
  name: string
  /** loaded, not-found, masked, bad-setting, error */
  loadState: string
  /** enabled, disabled, static, masked, alias, indirect, generated, … ('' when the unit has no file) */
  unitFileState: string
  /** active, inactive, failed, activating, deactivating, reloading */
  activeState: string
  subState: string
  /** Its unit file changed on disk since systemd loaded it: `systemctl daemon-reload` is due. */
  needDaemonReload: boolean
  mainPid: number
  /** The service type (simple, exec, forking, notify, oneshot, dbus, idle); '' for other units. */
  type: string
}

const PROPERTIES = ['Id', 'LoadState', 'UnitFileState', 'ActiveState', 'SubState', 'NeedDaemonReload', 'MainPID', 'Type']

export function systemdUnitQuery(name: string): FactQuery<SystemdUnit> {
  const script = buildCommand(['systemctl show ', ' -- ', ''], [PROPERTIES.flatMap((p) => ['-p', p]), name])
  return {
    name: `systemd unit ${name}`,
    script,
    parse: (output, code) => {
      const v = parseKeyValues(output)
      if (code !== 0 || v.LoadState === undefined) {
        throw new TaskError(`cannot read the state of systemd unit ${name} (exit code ${code}): is systemd running on the host?`)
      }
      return {
        name,
        loadState: v.LoadState,
        unitFileState: v.UnitFileState ?? '',
        activeState: v.ActiveState ?? '',
        subState: v.SubState ?? '',
        needDaemonReload: v.NeedDaemonReload === 'yes',
        mainPid: Number(v.MainPID ?? 0),
        type: v.Type ?? '',
      }
    },
  }
}

export function systemdUnit(name: string): Promise<SystemdUnit> {
  return readFact(systemdUnitQuery(name))
}
