// The browser-mode server as a real process: an exception from a timer (as from
// an ssh2 or ws callback) and an unhandled rejection are logged and shown to
// the pages, and the process keeps serving. Without the handler it dies.
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import { REPO_ROOT } from '../core/testing/shared-data.js';
import { WS_PATH, type WireEvent, type WireReply } from '../contract/index.js';

function startChild(mode: 'guarded' | 'unguarded'): Promise<{ child: ChildProcess; port: number; token: string; origin: string; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'src-main/app/testing/last-resort-child.ts'), mode], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((res, rej) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) res({ child, ...JSON.parse(out), stderr: () => err });
    });
    child.on('exit', (code) => rej(new Error(`child exited ${code}: ${err}`)));
  });
}

function open(c: { port: number; token: string; origin: string }): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${c.port}${WS_PATH}?token=${c.token}`, { origin: c.origin });
  return new Promise((res, rej) => {
    ws.once('open', () => res(ws));
    ws.once('error', rej);
  });
}

function call(ws: WebSocket, id: number, channel: string): Promise<WireReply> {
  return new Promise((res) => {
    const on = (d: WebSocket.RawData) => {
      const m = JSON.parse(d.toString()) as WireReply;
      if (m.id === id) {
        ws.off('message', on);
        res(m);
      }
    };
    ws.on('message', on);
    ws.send(JSON.stringify({ id, channel, args: [] }));
  });
}

describe('last-resort handler (browser-mode server as a process)', () => {
  it('an exception thrown from a timer and an unhandled rejection: logged, shown to the page, and the server keeps answering', async () => {
    const c = await startChild('guarded');
    try {
      const ws = await open(c);
      const notices: string[] = [];
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString()) as WireEvent;
        if ('event' in m && m.event.kind === 'notice') notices.push(m.event.message);
      });
      expect((await call(ws, 1, 'test:throw-later')).result.ok).toBe(true);
      for (let i = 0; i < 100 && notices.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(notices.join('\n')).toMatch(/protocol\._destruct is not a function/);
      expect(notices.join('\n')).toMatch(/a promise nobody awaited/);
      expect(c.child.exitCode).toBeNull();
      expect((await call(ws, 2, 'app:get-info')).result.ok).toBe(true);
      expect(c.stderr()).toMatch(/uncaught exception \(kept running\): TypeError: protocol\._destruct/);
      ws.close();
    } finally {
      c.child.kill();
    }
  }, 30_000);

  it('without it, the same timer ends the process (what the handler prevents)', async () => {
    const c = await startChild('unguarded');
    const ws = await open(c);
    const exited = new Promise<number | null>((res) => c.child.on('exit', (code) => res(code)));
    await call(ws, 1, 'test:throw-later');
    expect(await exited).not.toBe(0);
  }, 30_000);
});
