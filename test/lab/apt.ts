// Installing Debian packages inside a lab host through the lab's apt proxy, with every wait bounded:
// a mirror that stalls must cost a retry, not the test run.
import { runOn } from './lab.js'

const ATTEMPTS = 3

export async function aptInstall(host: string, packages: string[]) {
  const update = 'timeout 90 apt-get update -q'
  const install = `DEBIAN_FRONTEND=noninteractive timeout 180 apt-get install -y -q ${packages.join(' ')}`
  let last = ''
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const result = await runOn(host, `${update} && ${install}`, { timeoutMs: 300_000 })
    if (result.exitCode === 0) return
    last = `${result.stdout.slice(-1500)}${result.stderr.slice(-1500)}`
  }
  throw new Error(`${host}: apt-get install ${packages.join(' ')} failed ${ATTEMPTS} times:\n${last}`)
}
