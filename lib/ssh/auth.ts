// Which credentials to offer, in order: explicit key files (inventory key, then ssh config IdentityFile),
// then the ssh-agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa when no key file was named.
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import type { AnyAuthMethod } from 'ssh2'

const DEFAULT_KEY_FILES = ['id_ed25519', 'id_ecdsa', 'id_rsa']

export interface AuthPlan {
  methods: AnyAuthMethod[]
  /** Human-readable list for error messages: "key /root/.ssh/k", "agent /run/agent.sock". */
  tried: string[]
}

export function planAuth(username: string, keyFiles: string[], agentSocket: string | undefined): AuthPlan {
  const plan: AuthPlan = { methods: [], tried: [] }
  const addKey = (file: string) => {
    plan.methods.push({ type: 'publickey', username, key: readFileSync(file) })
    plan.tried.push(`key ${file}`)
  }
  keyFiles.filter(existsSync).forEach(addKey)
  if (agentSocket) {
    plan.methods.push({ type: 'agent', username, agent: agentSocket })
    plan.tried.push(`agent ${agentSocket}`)
  }
  if (keyFiles.length === 0) {
    DEFAULT_KEY_FILES.map((name) => `${homedir()}/.ssh/${name}`).filter(existsSync).forEach(addKey)
  }
  return plan
}
