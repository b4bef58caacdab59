// Certificates made on the operator's machine with openssl (etcd's CA and its members' certificates), kept in
// .kubeplay/pki/<cluster>/ with mode 0600 and copied to the hosts by tasks. Each file is made once: a later run
// reuses it, so the hosts' copies do not change.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Inventory } from './inventory.js'

export interface CertificateSpec {
  /** File name without extension: <name>.crt and <name>.key */
  name: string
  commonName: string
  /** IP addresses and DNS names. */
  altNames?: string[]
  usages: ('serverAuth' | 'clientAuth')[]
}

/** zx, loaded on first use: only plays with an external etcd make certificates; the others skip its load time. */
async function local(pieces: TemplateStringsArray, ...values: unknown[]) {
  const { $ } = await import('zx')
  return $({ quiet: true })(pieces, ...values)
}

const DAYS_CA = 3650
const DAYS_CERT = 825
// Made once per run and directory even when several hosts ask for it at the same time.
const pending = new Map<string, Promise<void>>()

export class LocalPki {
  constructor(readonly dir: string) {}

  static forCluster(inventory: Inventory, subdir: string): LocalPki {
    return new LocalPki(join('.kubeplay', 'pki', `${inventory.cluster.name}-${inventory.vip.address}`, subdir))
  }

  path(file: string): string {
    return join(this.dir, file)
  }

  read(file: string): string {
    return readFileSync(this.path(file), 'utf8')
  }

  /** A self-signed CA (ca.crt, ca.key), made unless present. */
  ca(commonName: string): Promise<void> {
    return this.once('ca', async () => {
      await local`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days ${DAYS_CA} -subj ${`/CN=${commonName}`} -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature -keyout ${this.path('ca.key')} -out ${this.path('ca.crt')}`
    })
  }

  /** A certificate signed by this directory's CA, made unless present. */
  certificate(spec: CertificateSpec): Promise<void> {
    return this.once(spec.name, async () => {
      const key = this.path(`${spec.name}.key`)
      const csr = this.path(`${spec.name}.csr`)
      const extensions = [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        `extendedKeyUsage=${spec.usages.join(',')}`,
        ...(spec.altNames?.length ? [`subjectAltName=${spec.altNames.map(altName).join(',')}`] : []),
      ].join('\n')
      await local`openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj ${`/CN=${spec.commonName}`} -keyout ${key} -out ${csr}`
      const extfile = this.path(`${spec.name}.ext`)
      writeFileSync(extfile, extensions)
      await local`openssl x509 -req -in ${csr} -CA ${this.path('ca.crt')} -CAkey ${this.path('ca.key')} -CAcreateserial -days ${DAYS_CERT} -extfile ${extfile} -out ${this.path(`${spec.name}.crt`)}`
      await local`rm -f ${csr} ${extfile} ${this.path('ca.srl')}`
    })
  }

  private once(name: string, make: () => Promise<void>): Promise<void> {
    const id = join(this.dir, name)
    let made = pending.get(id)
    if (!made) {
      made = (async () => {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 })
        if (!existsSync(this.path(`${name}.crt`)) || !existsSync(this.path(`${name}.key`))) await make()
        for (const ext of ['crt', 'key']) chmodSync(this.path(`${name}.${ext}`), 0o600)
      })()
      pending.set(id, made)
    }
    return made
  }
}

function altName(name: string): string {
  return /^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`
}
