// One place that runs any of the three tools on the current lab and returns a uniform sample.
import type { Inventory } from '../lib/index.js'
import { runAnsible, writeAnsibleInventory } from './ansible/run.js'
import { runFloor, writeFloor } from './floor/run.js'
import { runKubeplay } from './kubeplay-run.js'
import { workPath } from './paths.js'
import { sshOptions } from '../test/lab/ssh.js'
import type { LabInfo } from '../test/lab/lab.js'

export type Tool = 'kubeplay' | 'ansible' | 'floor'
export type Play = 'converge' | 'scale'

export interface Sample {
  tool: Tool
  /** converge, noop, check, scale */
  case: string
  hosts: number
  wallMs: number
  cpuMs?: number
  changed: number
  kubeplay?: { startupMs: number; runMs: number; maxRssKiB: number; commandsPerHost: number; opsPerHost: number }
}

/** What each tool needs, prepared once per lab size. */
export class Tools {
  private readonly ansibleInventory: string
  private readonly floorDrivers = new Map<Play, Promise<string>>()
  private runs = 0

  constructor(private readonly lab: LabInfo, private readonly inventory: Inventory) {
    this.ansibleInventory = writeAnsibleInventory(inventory, lab.keyFile, lab.knownHostsFile)
  }

  async run(tool: Tool, play: Play, caseName: string, check = false): Promise<Sample> {
    const hosts = this.inventory.hosts.length
    const logFile = workPath('logs', `${String(++this.runs).padStart(3, '0')}-${hosts}h-${caseName}-${tool}.log`)
    const base = { tool, case: caseName, hosts }
    if (tool === 'kubeplay') {
      const r = await runKubeplay(play, this.lab.inventoryFile, check, hosts, logFile)
      failIf(r.failed > 0 || r.exitCode !== 0, tool, logFile)
      const mean = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0) / hosts
      return {
        ...base, wallMs: r.wallMs, cpuMs: r.cpuMs, changed: r.changed,
        kubeplay: { startupMs: r.child.startupMs, runMs: r.child.runMs, maxRssKiB: r.child.maxRssKiB, commandsPerHost: mean(r.child.commandsPerHost), opsPerHost: mean(r.opsPerHost) },
      }
    }
    if (tool === 'ansible') {
      const r = await runAnsible(play, this.ansibleInventory, check, logFile)
      failIf(r.failed > 0 || r.exitCode !== 0, tool, logFile)
      return { ...base, wallMs: r.wallMs, cpuMs: r.cpuMs, changed: r.changed }
    }
    const r = await runFloor(await this.floorDriver(play), check, logFile)
    failIf(r.failed > 0, tool, logFile)
    return { ...base, wallMs: r.wallMs, cpuMs: r.cpuMs, changed: r.changed }
  }

  private floorDriver(play: Play): Promise<string> {
    if (!this.floorDrivers.has(play)) this.floorDrivers.set(play, writeFloor(play, this.inventory, sshOptions(this.lab)))
    return this.floorDrivers.get(play)!
  }
}

function failIf(failed: boolean, tool: Tool, logFile: string) {
  if (failed) throw new Error(`${tool} failed; see ${logFile}`)
}
