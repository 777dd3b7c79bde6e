// No new exports that nobody imports in core, cli, services and host
// (issue 12 §5). build/file-local-exports.mjs finds them with the TypeScript
// compiler's name resolution; a test that imports a name counts as a user
// (a unit test is a deliberate seam). file-local-exports.allow.json names the
// files other engineers were rewriting when this check came in (extensions and
// analysis, apply, recipes, trace, parse/diff/canonical), each with its reason;
// a path leaves the list when its files are cleaned, and nothing is added to it
// without a reason.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain .mjs build script, without type declarations
import { fileLocalExports } from './file-local-exports.mjs';

type Found = { file: string; line: number; name: string; local: boolean; testOnly?: string[] };
const here = dirname(fileURLToPath(import.meta.url));
const SCOPE = ['src-main/core/', 'src-main/cli/', 'src-main/services/', 'src-main/host/'];

describe('exports nobody imports', () => {
  it('the checker tells a used export from a file-local, a dead, a re-exported-only and a test-only one', () => {
    const root = mkdtempSync(join(tmpdir(), 'portcullis-exports-'));
    try {
      const put = (rel: string, text: string) => {
        mkdirSync(dirname(join(root, rel)), { recursive: true });
        writeFileSync(join(root, rel), text);
      };
      put('src-main/core/a.ts', [
        'export const used = 1;',
        'export function local(): number { return 2; }',
        'export const dead = local();',
        'export type OnlyReexported = { x: number };',
        'export function tested(): number { return 3; }',
        'export interface ViaNamespace { y: string }',
      ].join('\n'));
      put('src-main/core/index.ts', "export * from './a.js';\nexport { type OnlyReexported } from './a.js';\n");
      put('src-main/cli/b.ts', "import { used } from '../core/index.js';\nimport * as ns from '../core/a.js';\nexport const v: ns.ViaNamespace = { y: String(used) };\n");
      put('src-main/core/a.test.ts', "import { tested } from './a.js';\ntested();\n");
      put('src-renderer/C.svelte', '<script lang="ts">\n  import { v } from \'../src-main/cli/b.js\';\n</script>\n<p>{v.y}</p>\n');
      const found = (fileLocalExports({ root }) as Found[]).map((f) => [f.file, f.name, f.local, f.testOnly ?? null]);
      expect(found).toEqual([
        ['src-main/core/a.ts', 'local', true, null],
        ['src-main/core/a.ts', 'dead', false, null],
        ['src-main/core/a.ts', 'OnlyReexported', false, null],
        ['src-main/core/a.ts', 'tested', false, ['src-main/core/a.test.ts']],
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('core, cli, services and host export nothing new that no other file imports', () => {
    const allowed = Object.keys((JSON.parse(readFileSync(join(here, 'file-local-exports.allow.json'), 'utf8')) as { paths: Record<string, string> }).paths);
    const found = (fileLocalExports({ under: SCOPE }) as Found[]).filter((f) => !f.testOnly);
    const fresh = found.filter((f) => !allowed.some((p) => f.file.startsWith(p)))
      .map((f) => `${f.file}:${f.line} ${f.name}: ${f.local ? 'used only in its own file: drop the `export`' : 'used nowhere: delete it'}`);
    expect(fresh, 'exports no other file imports (node build/file-local-exports.mjs lists them all)').toEqual([]);
  }, 120_000);
});
