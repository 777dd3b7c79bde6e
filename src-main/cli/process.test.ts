// The command line as a process: what happens when the reader of its output
// goes away, and when a command fails in a way nobody foresaw.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from './testing/capture.js';
import { registerCommand } from './commands/index.js';
import { REPO_ROOT } from '../core/testing/shared-data.js';

const STOCK = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT
-A INPUT -j REJECT --reject-with icmp-host-prohibited
COMMIT
`;

/** runs the CLI (tsx, no build) with `close` of its output pipes closed at once */
function cliProcess(argv: string[], close: 'stdout' | 'stderr'): Promise<{ code: number | null; other: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'src-main/cli/main.ts'), ...argv], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let other = '';
    c[close].destroy();
    (close === 'stdout' ? c.stderr : c.stdout).on('data', (b: Buffer) => (other += b.toString()));
    c.on('close', (code) => res({ code, other }));
  });
}

describe('portcullis as a process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-process-'));
  const rules = join(dir, 'stock.rules');
  writeFileSync(rules, STOCK);
  const broken = join(dir, 'broken.rules');
  // lots of errors on stdout (lint prints its findings there)
  writeFileSync(broken, Array.from({ length: 3000 }, (_, i) => `-A INPUT -p tcp --dport ${i} -j ACCEPT`).join('\n') + '\n');

  it('a reader of stderr that goes away (… 2>&1 | head) does not crash it: the command finishes with its own status', async () => {
    // recipe --into prints the ruleset on stdout and what it did on stderr; exit 0
    const r = await cliProcess(['recipe', 'loopback', '--into', rules], 'stderr');
    expect(r.code).toBe(0);
    expect(r.other).toMatch(/-A INPUT -i lo -j ACCEPT/);
  }, 30_000);

  it('a reader of stdout that goes away (lint | head) ends quietly, with the exit status of the findings', async () => {
    const r = await cliProcess(['lint', broken], 'stdout');
    expect(r.other).toBe(''); // no EPIPE, no stack trace
    expect(r.code).toBe(1); // the file has errors: not 0 because nobody read them
  }, 30_000);

  it('an unforeseen failure is one line naming it a bug, with exit 2 and no stack trace', async () => {
    registerCommand({
      name: 'test-boom',
      usage: 'usage: portcullis test-boom',
      run() {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      },
    });
    const r = await run(['test-boom']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^portcullis test-boom: internal error: Cannot read properties of undefined \(reading 'x'\)\n/);
    expect(r.err).toMatch(/bug in portcullis/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
