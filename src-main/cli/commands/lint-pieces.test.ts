// `portcullis lint` with the real file reader (the file read in pieces into the
// model, as the bin does) prints and exits exactly as with the whole file read
// at once: findings, the -m nth fix, CRLF, no final line end, an IPv6 file
// found by its content, bytes that are not UTF-8, a file that is not there.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIO } from '../io.js';
import { runCli } from '../main.js';
import { readFilePieces } from '../read-pieces.js';
import type { Captured } from '../testing/capture.js';
import { decodeRulesetBytes } from '../../core/index.js';
// @ts-expect-error plain JavaScript, no declarations
import { generateShape } from '../../../build/gen-shapes.mjs';

/** The command line with the bin's reader (readPieces), or with the whole file decoded as the bin's readFile does it. */
async function runWith(argv: string[], pieces: boolean): Promise<Captured> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    readFile: (p) => {
      if (pieces) throw new Error('read whole: the lint should read the file in pieces');
      const d = decodeRulesetBytes(readFileSync(p));
      if (!d.ok) throw new Error(d.problem.message);
      return d.text;
    },
    ...(pieces ? { readPieces: (p: string) => readFilePieces(p) } : {}),
    tty: false,
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

const nth = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
  '-A INPUT -p tcp -m nth --every 3 --packet 0 -j ACCEPT', '-A INPUT -p tcp -m nth --every 3 --packet 1 -j ACCEPT',
  '-A INPUT -p tcp -m nth --packet 2 -j DROP', 'COMMIT', ''].join('\n');

describe('lint reads a file in pieces', () => {
  const files: Array<[string, string | Buffer, string[]]> = [
    ['blocklist.rules', generateShape('blocklist', 3000, 5) as string, []],
    ['calico.rules', generateShape('calico', 3000, 5) as string, ['--json']],
    ['ufw.rules', generateShape('ufw', 3000, 5) as string, ['--client', '198.18.0.9']],
    ['nth.rules', nth, []],
    ['crlf.rules', nth.replace(/\n/g, '\r\n'), []],
    ['no-final-newline.rules', nth.trimEnd(), ['--json']],
    ['x.rules', generateShape('mixed6', 500, 5) as string, []],
    ['latin1.rules', Buffer.concat([Buffer.from(nth.slice(0, 40)), Buffer.from([0xe9]), Buffer.from(nth.slice(40))]), []],
  ];
  it('prints and exits as when the whole file is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-lint-pieces-'));
    try {
      for (const [name, content, args] of files) {
        const path = join(dir, name);
        writeFileSync(path, content);
        if (name === 'latin1.rules') expect((await runWith(['lint', path], true)).code).toBe(2);
        const argv = ['lint', path, ...args];
        const whole = await runWith(argv, false);
        expect(await runWith(argv, true), name).toEqual(whole);
      }
      const missing = ['lint', join(dir, 'not-there.rules')];
      const r = await runWith(missing, true);
      expect(r.code).toBe(2);
      expect(r).toEqual(await runWith(missing, false));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
