/**
 * The bounded GET and the vLLM poller against a local node:http server: a body at the limit is read, one byte
 * past it fails with one short reason and the connection is closed; an endless body is cut; a server that never
 * answers or never finishes hits the deadline; the next poll tries again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BoundedGetError, formatLimit, getBounded } from '../../src/process/http-get.js';
import { HEALTH_BODY_LIMIT, METRICS_BODY_LIMIT, startVllmPoller } from '../../src/monitor/sources.js';
import type { VllmMetrics } from '../../src/monitor/core/sample.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const servers: http.Server[] = [];

async function serve(handler: Handler): Promise<{ url: string; closed: () => number }> {
  let closed = 0;
  const server = http.createServer((req, res) => {
    res.on('close', () => closed++);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed: () => closed };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** Writes `chunk` for ever (as fast as the socket takes it) until the client goes away. */
function endless(chunk: Buffer): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    pump();
  };
}

const opts = { limitBytes: 1000, timeoutMs: 1500, what: 'metrics' };

describe('getBounded', () => {
  it('reads a body exactly at the limit; one byte past it fails with one reason', async () => {
    const { url } = await serve((req, res) => res.end('x'.repeat(req.url === '/at' ? 1000 : 1001)));
    expect(await getBounded(`${url}/at`, opts)).toEqual({ status: 200, body: 'x'.repeat(1000) });
    await expect(getBounded(`${url}/past`, opts)).rejects.toThrow(new BoundedGetError('metrics body over 1000 bytes'));
  });

  it('a chunked body past the limit (no Content-Length) fails the same way', async () => {
    const { url } = await serve((_req, res) => {
      res.write('x'.repeat(600));
      setTimeout(() => res.end('x'.repeat(600)), 20);
    });
    await expect(getBounded(url, opts)).rejects.toThrow('metrics body over 1000 bytes');
  });

  it('an endless body is cut at the limit and its connection closed', async () => {
    const { url, closed } = await serve(endless(Buffer.alloc(64 * 1024, 'a')));
    const start = performance.now();
    await expect(getBounded(url, { ...opts, limitBytes: METRICS_BODY_LIMIT })).rejects.toThrow(
      'metrics body over 8 MiB',
    );
    expect(performance.now() - start).toBeLessThan(1500);
    await expect.poll(closed, { timeout: 2000 }).toBe(1);
  });

  it('no answer, or a body that never ends, hits the deadline', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/slow-body') res.write('x');
      // never ends
    });
    await expect(getBounded(url, { ...opts, timeoutMs: 200 })).rejects.toThrow('no answer in 0.2 s');
    await expect(getBounded(`${url}/slow-body`, { ...opts, timeoutMs: 200 })).rejects.toThrow(
      'metrics body not complete in 0.2 s',
    );
  });

  it('a refused connection says so', async () => {
    const { url } = await serve(() => undefined);
    const s = servers.pop();
    s?.closeAllConnections();
    await new Promise((resolve) => s?.close(resolve));
    await expect(getBounded(url, opts)).rejects.toThrow('connection refused');
  });

  it('follows a redirect; onChunk hears the body instead of it being kept', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(307, { location: '/metrics/' });
        res.end('moved');
      } else res.end('vllm:x 1\n');
    });
    expect(await getBounded(`${url}/metrics`, opts)).toEqual({ status: 200, body: 'vllm:x 1\n' });
    const heard: string[] = [];
    const answer = await getBounded(`${url}/metrics`, { ...opts, onChunk: (c) => heard.push(c.toString()) });
    expect(answer).toEqual({ status: 200, body: '' });
    expect(heard.join('')).toBe('vllm:x 1\n');
  });

  it('formats limits', () => {
    expect([formatLimit(8 * 1024 * 1024), formatLimit(64 * 1024), formatLimit(1000)]).toEqual([
      '8 MiB',
      '64 KiB',
      '1000 bytes',
    ]);
    expect([METRICS_BODY_LIMIT, HEALTH_BODY_LIMIT]).toEqual([8 * 1024 * 1024, 64 * 1024]);
  });
});

describe('startVllmPoller', () => {
  it('a /metrics over 8 MiB fails the poll with one reason; the next poll tries again and succeeds', async () => {
    let isHuge = true;
    let metricsGets = 0;
    const { url } = await serve((req, res) => {
      if (req.url === '/health') return res.end();
      metricsGets++;
      if (isHuge) return endless(Buffer.alloc(64 * 1024, 'a'))(req, res);
      res.end('vllm:num_requests_running{engine="0"} 3\nvllm:kv_cache_usage_perc{engine="0"} -3.5\n');
    });
    const downs: string[] = [];
    const ups: VllmMetrics[] = [];
    const poller = startVllmPoller(
      url,
      250,
      null,
      (m) => ups.push(m),
      (why) => downs.push(why),
    );
    try {
      await expect.poll(() => downs.length, { timeout: 5000 }).toBeGreaterThan(0);
      expect(downs[0]).toBe('metrics body over 8 MiB');
      isHuge = false;
      await expect.poll(() => ups.length, { timeout: 5000 }).toBeGreaterThan(0);
      expect(ups[0]).toMatchObject({ isHealthy: true, running: 3, kvCacheUsage: null });
      expect(ups[0]?.rejected).toEqual(['vllm:kv_cache_usage_perc -3.5 is not a 0–1 fraction']);
      expect(metricsGets).toBeGreaterThanOrEqual(2);
    } finally {
      poller.stop();
    }
  });

  it('a /health body over 64 KiB fails the poll', async () => {
    const { url } = await serve((req, res) => res.end('x'.repeat(req.url === '/health' ? 64 * 1024 + 1 : 1)));
    const downs: string[] = [];
    const poller = startVllmPoller(
      url,
      10_000,
      null,
      () => undefined,
      (why) => downs.push(why),
    );
    try {
      await expect.poll(() => downs, { timeout: 3000 }).toEqual(['health body over 64 KiB']);
    } finally {
      poller.stop();
    }
  });
});
