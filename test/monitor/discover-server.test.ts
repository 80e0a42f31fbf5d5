/**
 * The look for a vLLM when `monitor` is given no server, on a loopback port: a vLLM-like server is found with
 * what it serves; something else answering is told apart; a closed port is "connection refused". The panel
 * shows the sentence under its vLLM lines.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverLocalServer } from '../../src/monitor/discover-server.js';
import { describeDiscovery } from '../../src/monitor/core/discovery.js';
import { createPanelState, renderPanel } from '../../src/monitor/core/panel.js';

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on: one listened on, then closed. */
async function closedPort(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('discoverLocalServer', () => {
  it('finds a vLLM and what it serves', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/health') return res.writeHead(200).end();
      if (req.url === '/v1/models')
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"id":"Qwen/Qwen2-7B"}]}');
      res.writeHead(404).end();
    });
    const found = await discoverLocalServer(url);
    expect(found).toEqual({ kind: 'found', url, models: ['Qwen/Qwen2-7B'] });
    expect(describeDiscovery(found)).toBe(`no --url given: found vLLM on ${url} serving Qwen/Qwen2-7B`);
  });

  it('tells apart another program on the port', async () => {
    const url = await serve((_req, res) => res.writeHead(404).end('not here'));
    expect(await discoverLocalServer(url)).toEqual({ kind: 'not-vllm', url, status: 404 });
  });

  it('says nothing answers on a closed port, and the panel shows it', async () => {
    const url = await closedPort();
    const found = await discoverLocalServer(url);
    expect(found).toEqual({ kind: 'none', url, why: 'connection refused' });
    const state = createPanelState({
      source: 'proc',
      sourceLabel: '/proc',
      serverUrl: null,
      predictedBytes: null,
      intervalMs: 1000,
      serverNote: describeDiscovery(found),
    });
    const text = renderPanel(state, { columns: 120, rows: 24, isColor: false }).join('\n');
    expect(text).toContain('vLLM no server given (--url)');
    expect(text).toContain(`no --url given, and no vLLM on ${url} (connection refused)`);
  });
});
