// A CliIO that captures output, for tests of the command line.
import { readFileSync } from 'node:fs';
import type { CliIO } from '../io.js';
import { runCli } from '../main.js';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export async function run(argv: string[], files: Record<string, string> = {}): Promise<Captured> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    readFile: (p) => (p in files ? files[p] : readFileSync(p, 'utf8')),
    tty: false,
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}
