// The lab's caching apt proxy, run as its own process by proxy.ts. Hosts reach it with `Acquire::http::Proxy`.
//
// Why our own and not apt-cacher-ng: hosts updating at once made apt-cacher-ng race on the same InRelease
// ("Failure to move file ... out of the way") and a client hung for minutes. Here every URL is fetched by ONE
// request at a time however many hosts ask for it, and the others wait for that fetch and read its file:
// - package files and by-hash indexes never change: cached on disk for good, shared by later labs;
// - the other index files (InRelease, Release, ...) are fetched once per proxy lifetime, so the hosts of one lab
//   all see the same snapshot of the archive.
// Only the archives named on the command line are proxied; anything else gets 403.
//
//   apt-proxy-server.ts --listen ADDRESS:PORT --cache DIR --indexes DIR --log FILE --archive URL [--archive URL ...]
// --cache keeps the files that never change (shared by labs); --indexes the others (the lab's own, gone with it).
import { createReadStream, createWriteStream, existsSync, appendFileSync, mkdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs'
import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http'
import { dirname, join, normalize } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'

const FETCH_ATTEMPTS = 3
const IDLE_TIMEOUT_MS = 30_000
const MAX_REDIRECTS = 5

interface Fetched { status: number; file?: string }

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    cache: { type: 'string' },
    indexes: { type: 'string' },
    log: { type: 'string' },
    archive: { type: 'string', multiple: true },
  },
})
const [address, port] = (values.listen ?? '').split(/:(?=\d+$)/)
const cacheDir = values.cache
const indexesDir = values.indexes
const logFile = values.log
const archives = (values.archive ?? []).map((url) => url.replace(/\/?$/, '/'))
if (!address || !port || !cacheDir || !indexesDir || !logFile || archives.length === 0) {
  console.error('usage: apt-proxy-server.ts --listen ADDRESS:PORT --cache DIR --indexes DIR --log FILE --archive URL ...')
  process.exit(2)
}

const log = (line: string) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`)

const isImmutable = (url: URL) => url.pathname.includes('/pool/') || url.pathname.includes('/by-hash/')

// One fetch per URL: immutable files until they are on disk, the others for the proxy's lifetime.
const fetches = new Map<string, Promise<Fetched>>()

function cachedFetch(url: URL): Promise<Fetched> {
  const file = cacheFile(url)
  if (isImmutable(url) && existsSync(file)) return Promise.resolve({ status: 200, file })
  let fetching = fetches.get(url.href)
  if (!fetching) {
    fetching = fetchWithRetries(url, file)
    fetches.set(url.href, fetching)
    // Forget what must be asked again: immutable files (now on disk) and failures.
    fetching.then((result) => { if (isImmutable(url) || result.status >= 500) fetches.delete(url.href) },
      () => fetches.delete(url.href))
  }
  return fetching
}

function cacheFile(url: URL): string {
  const path = normalize(`/${url.host}${url.pathname}`)
  return join(isImmutable(url) ? cacheDir! : indexesDir!, path)
}

async function fetchWithRetries(url: URL, file: string): Promise<Fetched> {
  let lastError = ''
  for (let attempt = 1; attempt <= FETCH_ATTEMPTS; attempt++) {
    try {
      const result = await fetchToFile(url, file, MAX_REDIRECTS)
      if (result.status < 500) return result
      lastError = `HTTP ${result.status}`
    } catch (err) {
      lastError = (err as Error).message
    }
    log(`fetch ${url.href} failed (try ${attempt} of ${FETCH_ATTEMPTS}): ${lastError}`)
  }
  return { status: 502 }
}

/** Fetches into a temporary file and renames it into place, so that a reader never sees half a file. */
function fetchToFile(url: URL, file: string, redirectsLeft: number): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: IDLE_TIMEOUT_MS }, (response) => {
      const status = response.statusCode ?? 502
      const location = response.headers.location
      if (status >= 300 && status < 400 && location && redirectsLeft > 0) {
        response.resume()
        resolve(fetchToFile(new URL(location, url), file, redirectsLeft - 1))
        return
      }
      if (status !== 200) {
        response.resume()
        resolve({ status })
        return
      }
      saveResponse(response, file, url).then(() => resolve({ status, file }), reject)
    })
    request.on('timeout', () => request.destroy(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)))
    request.on('error', reject)
  })
}

async function saveResponse(response: IncomingMessage, file: string, url: URL) {
  mkdirSync(dirname(file), { recursive: true })
  const partial = `${file}.partial-${process.pid}-${Math.random().toString(36).slice(2)}`
  try {
    await pipeline(response, createWriteStream(partial))
    const expected = Number(response.headers['content-length'] ?? NaN)
    const { size } = statSync(partial)
    if (!Number.isNaN(expected) && size !== expected) throw new Error('connection closed before the end of the file')
    const modified = Date.parse(response.headers['last-modified'] ?? '')
    if (!Number.isNaN(modified)) utimesSync(partial, new Date(), new Date(modified))
    renameSync(partial, file)
    log(`fetched ${url.href} from upstream: ${size} bytes`)
  } catch (err) {
    rmSync(partial, { force: true })
    throw err
  }
}

function archiveUrl(request: IncomingMessage): URL | undefined {
  let url: URL
  try { url = new URL(request.url ?? '') } catch { return undefined }
  if (url.protocol !== 'http:' || url.search || url.pathname.split('/').includes('..')) return undefined
  return archives.some((archive) => url.href.startsWith(archive)) ? url : undefined
}

async function serve(request: IncomingMessage, response: ServerResponse) {
  const started = Date.now()
  const url = archiveUrl(request)
  const method = request.method ?? 'GET'
  let result: Fetched = { status: 403 }
  if (url && (method === 'GET' || method === 'HEAD')) result = await cachedFetch(url)
  else if (url) result = { status: 405 }
  if (result.status === 200 && result.file) {
    const { size, mtime } = statSync(result.file)
    response.writeHead(200, { 'Content-Length': size, 'Content-Type': 'application/octet-stream', 'Last-Modified': mtime.toUTCString() })
    if (method === 'HEAD') response.end()
    else await pipeline(createReadStream(result.file), response)
  } else {
    response.writeHead(result.status, { 'Content-Length': 0 }).end()
  }
  log(`${result.status} ${method} ${request.url} ${Date.now() - started} ms`)
}

const server = createServer((request, response) => {
  serve(request, response).catch((err: Error) => {
    log(`error serving ${request.url}: ${err.message}`)
    if (!response.headersSent) response.writeHead(500, { 'Content-Length': 0 })
    response.destroy()
  })
})
server.listen(Number(port), address, () => log(`listening on ${address}:${port} for ${archives.join(' ')}`))
const stop = () => { server.close(() => process.exit(0)); server.closeAllConnections() }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
