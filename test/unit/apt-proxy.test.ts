// The lab's apt proxy (test/lab/apt-proxy-server.ts) against a stand-in mirror on loopback that counts requests:
// one fetch per URL however many clients ask at once, one snapshot of the indexes per proxy lifetime, failures
// retried, nothing proxied but the archives it was given.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startProxy, stopProxy, type ProxyPlan } from '../lab/proxy.js'
import { freePort } from '../support/sshd.js'

const PACKAGE = '/debian/pool/main/b/big/big_1.0_amd64.deb'
const PACKAGE_BODY = Buffer.alloc(1 << 20, 7)

let mirror: Server
let mirrorUrl: string
const asked = new Map<string, number>()
let dir: string
let plan: ProxyPlan
let proxyPid: number

function serveMirror(path: string): { status: number; body?: Buffer | string; delayMs?: number } {
  const times = (asked.get(path) ?? 0) + 1
  asked.set(path, times)
  if (path === PACKAGE) return { status: 200, body: PACKAGE_BODY, delayMs: 300 }
  if (path === '/debian/dists/stable/InRelease') return { status: 200, body: `snapshot ${times}`, delayMs: 100 }
  if (path === '/debian/dists/stable/flaky') return times === 1 ? { status: 503 } : { status: 200, body: 'came on the second try' }
  return { status: 404 }
}

/** A GET through the proxy, as apt sends it: the absolute URL on the request line. */
function viaProxy(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: plan.bridgeAddress, port: plan.proxyPort, path: url, headers: { Host: new URL(url).host } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

test.before(async () => {
  mirror = createServer((req, res) => {
    const answer = serveMirror(req.url ?? '')
    setTimeout(() => res.writeHead(answer.status).end(answer.body), answer.delayMs ?? 0)
  })
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve))
  mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`
  dir = mkdtempSync(join(tmpdir(), 'kubeplay-apt-proxy-'))
  plan = { stateDir: join(dir, 'state'), bridgeAddress: '127.0.0.1', proxyPort: await freePort() }
  proxyPid = await startProxy(plan, `Types: deb\nURIs: ${mirrorUrl}/debian\nSuites: stable\n`, join(dir, 'archive'))
})

test.after(async () => {
  await stopProxy(plan, proxyPid)
  mirror.close()
  rmSync(dir, { recursive: true, force: true })
})

test('seven clients asking for one package file at once cause one fetch from the mirror, and all get it whole', async () => {
  const answers = await Promise.all(Array.from({ length: 7 }, () => viaProxy(`${mirrorUrl}${PACKAGE}`)))
  for (const answer of answers) {
    assert.is(answer.status, 200)
    assert.ok(answer.body.equals(PACKAGE_BODY), `a client got ${answer.body.length} bytes, not the ${PACKAGE_BODY.length} of the file`)
  }
  assert.is(asked.get(PACKAGE), 1)
  assert.is((await viaProxy(`${mirrorUrl}${PACKAGE}`)).status, 200)
  assert.is(asked.get(PACKAGE), 1, 'a cached package file was fetched again')
})

test('an index file is fetched once for the proxy lifetime: every client sees the same snapshot', async () => {
  const url = `${mirrorUrl}/debian/dists/stable/InRelease`
  const first = await Promise.all([viaProxy(url), viaProxy(url), viaProxy(url)])
  const later = await viaProxy(url)
  for (const answer of [...first, later]) assert.is(answer.body.toString(), 'snapshot 1')
  assert.is(asked.get('/debian/dists/stable/InRelease'), 1)
})

test('a mirror error is retried; a missing file is passed on as 404', async () => {
  const flaky = await viaProxy(`${mirrorUrl}/debian/dists/stable/flaky`)
  assert.is(flaky.status, 200)
  assert.is(flaky.body.toString(), 'came on the second try')
  assert.is((await viaProxy(`${mirrorUrl}/debian/pool/main/n/none/none_1_all.deb`)).status, 404)
})

test('nothing but the given archives is proxied: other hosts and paths get 403 without a request to them', async () => {
  const before = [...asked.values()].reduce((a, b) => a + b, 0)
  assert.is((await viaProxy('http://example.invalid/debian/dists/stable/InRelease')).status, 403)
  assert.is((await viaProxy(`${mirrorUrl}/other/dists/stable/InRelease`)).status, 403)
  assert.is((await viaProxy(`${mirrorUrl}/debian/../other/x`)).status, 403)
  assert.is([...asked.values()].reduce((a, b) => a + b, 0), before)
})

test.run()
