// A CliIO that captures output, for tests of the command line.
import { readFileSync } from 'node:fs';
import type { CliIO } from '../io.js';
import { runCli } from '../main.js';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export interface RunOptions {
  /** what the command reads as `-` (stdin); empty when not given */
  stdin?: string;
  /** stdout is a terminal */
  tty?: boolean;
  /** sees each piece of stderr as it is written (to act while the command runs) */
  onErr?: (text: string) => void;
}

/**
 * Runs the command line on `argv`. Files are read from `files` first, then
 * from disk; `-` is `opts.stdin`.
 */
export async function run(argv: string[], files: Record<string, string> = {}, opts: RunOptions = {}): Promise<Captured> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => void (out += t),
    err: (t) => {
      err += t;
      opts.onErr?.(t);
    },
    readFile: (p) => (p in files ? files[p] : p === '-' ? (opts.stdin ?? '') : readFileSync(p, 'utf8')),
    tty: !!opts.tty,
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}
