// STAND-INS on lab hosts for what cannot run here. Installed under /opt/kubeplay-standins so nobody mistakes
// them for the real thing; tests that use them say so in their names.
import { readFileSync } from 'node:fs'
import { runOn } from '../lab/lab.js'

export const STANDIN_DIR = '/opt/kubeplay-standins'
const APISERVER_UNIT = 'kubeplay-standin-apiserver'

async function must(host: string, command: string): Promise<string> {
  const result = await runOn(host, command)
  if (result.exitCode !== 0) throw new Error(`on ${host}: ${command.slice(0, 200)}\nexit ${result.exitCode}: ${result.stderr}`)
  return result.stdout
}

/** Copies the stand-in kube-apiserver (TLS, /healthz only) to the host with a self-signed certificate. */
export async function installStandinApiserver(host: string): Promise<void> {
  const script = readFileSync(new URL('../standins/apiserver.py', import.meta.url)).toString('base64')
  await must(host, [
    `mkdir -p ${STANDIN_DIR}`,
    `echo ${script} | base64 -d > ${STANDIN_DIR}/apiserver.py`,
    `[ -f ${STANDIN_DIR}/apiserver.key ] || openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kubeplay-standin ` +
      `-keyout ${STANDIN_DIR}/apiserver.key -out ${STANDIN_DIR}/apiserver.crt 2>/dev/null`,
  ].join(' && '))
}

/** Starts the stand-in API server on `port` as a transient unit: it does not come back after a reboot. */
export async function startStandinApiserver(host: string, port = 6443): Promise<void> {
  await must(host, `systemctl is-active -q ${APISERVER_UNIT} || systemd-run --quiet --unit=${APISERVER_UNIT} --collect ` +
    `python3 ${STANDIN_DIR}/apiserver.py ${port} ${STANDIN_DIR}/apiserver.crt ${STANDIN_DIR}/apiserver.key`)
  await must(host, `for i in $(seq 50); do curl -sfk -o /dev/null https://127.0.0.1:${port}/healthz && exit 0; sleep 0.1; done; exit 1`)
}

export async function stopStandinApiserver(host: string): Promise<void> {
  await must(host, `systemctl stop ${APISERVER_UNIT} 2>/dev/null || true`)
}
