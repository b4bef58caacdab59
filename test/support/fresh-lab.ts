// A lab as new: every host rebuilt from the base image (a few seconds), so tests that need untouched hosts
// ("check mode on a fresh lab") do not depend on what earlier test files did to them.
import { DEFAULT_HOSTS, labIdentity } from '../lab/config.js'
import { assertLabUp, labInfo, type LabInfo } from '../lab/lab.js'
import { labUp } from '../lab/lifecycle.js'

export async function freshLab(): Promise<LabInfo> {
  let hosts = DEFAULT_HOSTS
  try {
    hosts = labInfo().hosts.length
  } catch {
    // not up: `npm run test:lab` brings it up first; a single test file run alone starts the default lab
  }
  await labUp(labIdentity(), { hosts, fresh: true, log: (line) => console.log(`    lab: ${line}`) })
  return assertLabUp()
}
