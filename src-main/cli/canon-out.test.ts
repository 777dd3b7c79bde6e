// `portcullis canon` reading a real file in pieces, keeping the lines that are
// their own canonical text as spans of the file and copying them from it again
// (canon-out.ts): its bytes on stdout must be exactly what the whole-file path
// prints (the capture IO reads each file whole, keeps texts only), on every
// kind of file — the corpus, the bench shapes, blocklists written in other
// ways, UTF-8, CRLF, NUL, a byte order mark, no final line end.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './main.js';
import { run } from './testing/capture.js';
import { readFilePieces, type PieceState } from './read-pieces.js';
import { FileChanged, writeCanonicalBytes } from './canon-out.js';
import { loadRulesetTexts } from './commands/read-ruleset.js';
import type { CliIO } from './io.js';
import { REALWORLD, sharedAvailable } from '../core/testing/shared-data.js';
// @ts-expect-error plain JavaScript, no declarations
import { generateShape } from '../../build/gen-shapes.mjs';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcl-canon-out-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** canon as the bin runs it: pieces from the file, bytes to stdout */
async function canonByBytes(args: string[]): Promise<{ code: number; out: Buffer; err: string }> {
  const chunks: Buffer[] = [];
  let err = '';
  const io: CliIO = {
    out: (t) => void chunks.push(Buffer.from(t, 'utf8')),
    // a copy: the buffer may be filled again (canon-out.ts reuses it)
    outBytes: (b) => (chunks.push(Buffer.from(b)), true),
    err: (t) => void (err += t),
    readFile: (p) => readFileSync(p, 'utf8'),
    readPieces: readFilePieces,
    tty: false,
  };
  const code = await runCli(['canon', ...args], io);
  return { code, out: Buffer.concat(chunks), err };
}

/** `asRead`: the file's text as the bin reads it, when readFileSync would not (a byte order mark is dropped) */
async function same(name: string, content: string | Buffer, args: string[] = [], asRead?: string): Promise<void> {
  const file = join(dir, name);
  writeFileSync(file, content);
  const bytes = await canonByBytes([...args, file]);
  const whole = await run(['canon', ...args, file], asRead === undefined ? {} : { [file]: asRead });
  expect(bytes.code, name).toBe(whole.code);
  expect(bytes.err, name).toBe(whole.err);
  expect(bytes.out.toString('utf8'), name).toBe(whole.out);
}

describe('canon with spans of the file: the same bytes as the whole-file path', () => {
  it.skipIf(!sharedAvailable())('on every real-world file', async () => {
    const files = readdirSync(REALWORLD).filter((f) => f.endsWith('.rules'));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) await same(f, readFileSync(join(REALWORLD, f)));
  });

  it('on the template-heavy bench shapes', async () => {
    for (const shape of ['blocklist', 'docker', 'csf']) await same(`${shape}.rules`, generateShape(shape, 4000, 3));
    await same('blocklist6.rules', generateShape('blocklist6', 4000, 3), ['--family', '6']);
  });

  it('on blocklists written in other ways, and files that are not plain ASCII lines', async () => {
    const a = (k: number) => `198.${18 + (k & 1)}.${(k >> 8) & 255}.${k & 255}`;
    const lines = (f: (k: number) => string) => ['*filter', ':INPUT DROP [0:0]', ':bl - [0:0]', '-A INPUT -j bl', ...Array.from({ length: 3000 }, (_, k) => f(k)), 'COMMIT'];
    const variants: [string, string[]][] = [
      ['insert', lines((k) => `-I bl -s ${a(k)}/32 -j DROP`)],
      ['comment', lines((k) => `-A bl -s ${a(k)}/32 -m comment --comment "list ${k % 5}" -j DROP`)],
      ['mixed', lines((k) => `-A bl -s ${a(k)}/${k % 3 ? 32 : 24} -j DROP`)],
      ['iface', lines((k) => `-A bl -i eth0 -s ${a(k)}/32 -j DROP`)],
      ['nomask', lines((k) => `-A bl -s ${a(k)} -j DROP`)],
      ['utf8', lines((k) => (k === 2000 ? `-A bl -s ${a(k)}/32 -m comment --comment "bloqué" -j DROP` : `-A bl -s ${a(k)}/32 -j DROP`))],
      ['nul', lines((k) => (k === 1500 ? `-A bl -s ${a(k)}/32 -j DROP\0x` : `-A bl -s ${a(k)}/32 -j DROP`))],
      ['cr', lines((k) => `-A bl -s ${a(k)}/32 -j DROP${k > 2500 ? '\r' : ''}`)],
      // lines a template rewrites (no mask: /32 added) kept as bytes, those with UTF-8 in the template's text as strings
      ['rewritten', lines((k) => (k % 3 ? `-A bl -s ${a(k)} -m comment --comment "liste ${k % 2}" -j DROP` : `-A bl -s ${a(k)} -m comment --comment "bloqué ${k % 2}" -j DROP`))],
    ];
    for (const [name, ls] of variants) {
      await same(`${name}.rules`, ls.join('\n') + '\n');
      await same(`${name}-noeol.rules`, ls.join('\n'));
    }
    await same('bom.rules', '\ufeff' + variants[2][1].join('\n') + '\n', [], variants[2][1].join('\n') + '\n');
    const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':bl - [0:0]', '-A PREROUTING -j bl'];
    for (let k = 0; k < 3000; k++) nat.push(k % 2 ? `-A bl -d ${a(k)}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1:8080` : `-A POSTROUTING -s ${a(k)}/32 -o eth0 -j MASQUERADE`);
    nat.push('COMMIT');
    await same('nat.rules', nat.join('\n') + '\n');
    // not UTF-8 after 2,000 ASCII lines: the error, no output
    const latin1 = join(dir, 'latin1.rules');
    writeFileSync(latin1, Buffer.concat([Buffer.from(variants[2][1].slice(0, 2000).join('\n') + '\n'), Buffer.from([0x2d, 0xe9, 0x0a])]));
    const bad = await canonByBytes([latin1]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/cannot read the file: not UTF-8 text: line 2001, byte 2 of the line is 0xE9/);
    expect(bad.out.length).toBe(0);
  });

  it('lines with one network, a destination, are their own canonical text: one run of the file, the same bytes', async () => {
    // csf's DENYOUT/ALLOWOUT, a blocklist's OUTPUT: each line was made again as a text (28,000 strings on csf)
    const ls = ['*filter', ':OUTPUT ACCEPT [0:0]', ':out - [0:0]', ...Array.from({ length: 100 }, (_, k) => `-A out -d 198.18.${k >> 4}.${k}/32 ! -o lo -j DROP`), 'COMMIT', ''];
    const file = join(dir, 'dst.rules');
    writeFileSync(file, ls.join('\n'));
    const state: PieceState = { bytes: false, stat: null };
    const io = { out: () => {}, err: () => {}, readFile: () => '', readPieces: readFilePieces, tty: false };
    const loaded = loadRulesetTexts(io, file, 'ipv4', state);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const chain = loaded.result.texts.tables[0].chains.find((c) => c.name === 'out');
    expect(chain?.parts?.entries.length).toBe(2);
    expect(chain?.parts?.texts).toBeNull();
    await same('dst.rules', ls.join('\n'));
    // not canonical (a host bit, no mask, -d before -s): texts, the same bytes as the whole-file path
    const odd = ls.map((l, k) => (k % 3 === 0 ? l.replace('/32', '/24') : k % 3 === 1 ? l.replace('/32', '') : l.replace('-d ', '-d 198.19.0.1 -s ')));
    await same('dst-odd.rules', odd.join('\n'));
  });

  it('a file written to after it was read is not copied from: an error, exit 2', () => {
    const file = join(dir, 'changing.rules');
    const ls = ['*filter', ':INPUT DROP [0:0]', ...Array.from({ length: 100 }, (_, k) => `-A INPUT -s 198.18.0.${k}/32 -j DROP`), 'COMMIT', ''];
    writeFileSync(file, ls.join('\n'));
    const state: PieceState = { bytes: false, stat: null };
    const io = { out: () => {}, err: () => {}, readFile: () => '', readPieces: readFilePieces, tty: false };
    const loaded = loadRulesetTexts(io, file, 'ipv4', state);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    // the 100 lines are one run of the file's bytes
    expect(loaded.result.texts.tables[0].chains[0].parts?.entries.length).toBe(2);
    const out: Uint8Array[] = [];
    // unchanged: copied
    writeCanonicalBytes(loaded.result.texts, file, state.stat, (b) => void out.push(Buffer.from(b)));
    expect(Buffer.concat(out).toString()).toContain('-A INPUT -s 198.18.0.99/32 -j DROP\nCOMMIT\n');
    appendFileSync(file, '# later\n');
    expect(() => writeCanonicalBytes(loaded.result.texts, file, state.stat, () => {})).toThrow(FileChanged);
  });

  it('a buffer the writer is done with is filled again; one it may keep is never written to again', () => {
    const file = join(dir, 'reuse.rules');
    writeFileSync(file, generateShape('docker', 3000, 2) as string);
    const state: PieceState = { bytes: false, stat: null };
    const io = { out: () => {}, err: () => {}, readFile: () => '', readPieces: readFilePieces, tty: false };
    const loaded = loadRulesetTexts(io, file, 'ipv4', state);
    if (!loaded.ok) throw new Error('not read');
    const copied: Buffer[] = [];
    const reused = new Set<ArrayBufferLike>();
    writeCanonicalBytes(loaded.result.texts, file, state.stat, (b) => (copied.push(Buffer.from(b)), reused.add(b.buffer), true));
    const kept: Uint8Array[] = [];
    writeCanonicalBytes(loaded.result.texts, file, state.stat, (b) => void kept.push(b));
    expect(kept.length).toBeGreaterThan(3);
    expect(reused.size).toBe(1);
    expect(new Set(kept.map((b) => b.buffer)).size).toBe(kept.length);
    // what was kept still holds what was written: no later buffer went into it
    expect(Buffer.concat(kept).equals(Buffer.concat(copied))).toBe(true);
  });
});
