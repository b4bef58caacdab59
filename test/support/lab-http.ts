// HTTPS requests from this machine to lab addresses (the VIP, a master), for the balancer and failover tests.
import { request } from 'node:https'

export interface Answer {
  ok: boolean
  status?: number
  /** The stand-in API server that answered (its X-Standin-Host header). */
  host?: string
  error?: string
}

export function getHealthz(address: string, port: number, timeoutMs = 2000): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/healthz', method: 'GET', rejectUnauthorized: false, timeout: timeoutMs, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ ok: res.statusCode === 200 && body === 'ok', status: res.statusCode, host: String(res.headers['x-standin-host'] ?? '') }))
    })
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)))
    req.on('error', (error) => resolve({ ok: false, error: error.message }))
    req.end()
  })
}
