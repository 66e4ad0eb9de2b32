/**
 * The headless host: the same contract as the Electron IPC layer, over HTTP and a WebSocket,
 * so the same renderer runs in a browser (`popdyn serve`).
 *
 * Security: binds to 127.0.0.1 by default; every API call and the event socket need the
 * random per-session token (printed in the URL only); the Host header must name a loopback
 * address (no DNS rebinding); cross-origin requests are refused; bodies are size-limited.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Session } from '../services/session'
import { dispatch } from '../ipc/dispatch'

export interface HostOptions {
  session: Session
  /** Folder with the built renderer (index.html). */
  rendererDir: string
  /** @default 127.0.0.1 */
  host?: string
  /** @default 0 (a free port) */
  port?: number
  /** @default random 32 bytes, hex */
  token?: string
}

export interface RunningHost {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

const MAX_BODY = 1 << 20
const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

function tokenOk(expected: Buffer, got: string | null | undefined): boolean {
  if (!got) return false
  const b = Buffer.from(got)
  return b.length === expected.length && timingSafeEqual(b, expected)
}

function loopbackHost(req: IncomingMessage): boolean {
  const h = (req.headers.host ?? '').replace(/:\d+$/, '')
  return h === '127.0.0.1' || h === 'localhost' || h === '[::1]'
}

function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  if (!origin) return true
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, {
    'content-type': type,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
  })
  res.end(body)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY) throw new Error('body too large')
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function startHost(o: HostOptions): Promise<RunningHost> {
  const token = o.token ?? randomBytes(32).toString('hex')
  const expected = Buffer.from(token)
  const root = resolve(o.rendererDir)
  const hasRenderer = existsSync(join(root, 'index.html'))

  const server: Server = createServer(async (req, res) => {
    try {
      if (!loopbackHost(req)) return send(res, 403, 'Forbidden host')
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      if (url.pathname.startsWith('/api/')) {
        if (req.method !== 'POST') return send(res, 405, 'POST only')
        if (!sameOrigin(req)) return send(res, 403, 'Cross-origin request refused')
        if (!tokenOk(expected, req.headers['x-popdyn-token'] as string | undefined)) return send(res, 401, 'Missing or wrong session token')
        let args: unknown
        try {
          const body = await readBody(req)
          args = body ? JSON.parse(body) : {}
        } catch (err) {
          return send(res, 400, JSON.stringify({ ok: false, error: { kind: 'invalid-input', name: 'BadRequest', message: `Request body is not valid JSON: ${(err as Error).message}` } }), 'application/json')
        }
        const result = await dispatch(o.session.handlers, decodeURIComponent(url.pathname.slice(5)), args)
        return send(res, 200, JSON.stringify(result), 'application/json')
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed')
      if (!hasRenderer) return send(res, 503, `The renderer is not built (${join(root, 'index.html')} is missing). Run "npm run build" first.`)
      const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '')
      const file = normalize(join(root, rel))
      if (!file.startsWith(root + sep)) return send(res, 403, 'Forbidden path')
      if (!existsSync(file) || !statSync(file).isFile()) return send(res, 404, 'Not found')
      return send(res, 200, readFileSync(file), TYPES[extname(file)] ?? 'application/octet-stream')
    } catch (err) {
      if (!res.headersSent) send(res, 500, `Internal error: ${(err as Error).message}`)
    }
  })

  const wss = new WebSocketServer({ noServer: true })
  const sockets = new Set<WebSocket>()
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname !== '/events' || !loopbackHost(req) || !sameOrigin(req) || !tokenOk(expected, url.searchParams.get('token'))) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
    })
  })
  const unsubscribe = o.session.onJobEvent((e) => {
    const msg = JSON.stringify(e)
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg)
  })

  const host = o.host ?? '127.0.0.1'
  await new Promise<void>((res, rej) => {
    server.once('error', rej)
    server.listen(o.port ?? 0, host, () => res())
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://${host}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe()
      for (const ws of sockets) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
