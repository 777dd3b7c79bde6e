import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { HostVersions, MAX_BYTES, MAX_ENTRIES } from './host-versions.js';

const HOST = '0123456789abcdef';
const rules = (n: number, tag = '') => `*filter\n:INPUT ACCEPT [0:0]\n${Array.from({ length: n }, (_, k) => `-A INPUT -s 198.18.${k >> 8}.${k & 255}/32 -j DROP${tag}`).join('\n')}\nCOMMIT\n`;

function withStore(f: (v: HostVersions, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-versions-'));
  try {
    f(new HostVersions({ PORTCULLIS_STATE_DIR: dir }), join(dir, 'versions', HOST));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('kept versions of a host’s rules', () => {
  it('keeps each pulled and applied version, newest first, with its text; a repeated pull adds nothing', () => {
    withStore((v, dir) => {
      const a = v.record(HOST, 'saved', rules(3));
      expect(v.record(HOST, 'saved', rules(3)).id).toBe(a.id);
      const r = v.record(HOST, 'running', rules(4));
      const ap = v.record(HOST, 'applied', rules(5), { outcome: 'confirmed', auditId: 'x1', source: 'proposed ruleset' });
      expect(v.list(HOST).map((e) => [e.kind, e.rules])).toEqual([
        ['applied', 5],
        ['running', 4],
        ['saved', 3],
      ]);
      expect(v.list(HOST)[0]).toMatchObject({ outcome: 'confirmed', auditId: 'x1', source: 'proposed ruleset' });
      expect(v.read(HOST, a.id)!.text).toBe(rules(3));
      expect(v.read(HOST, r.id)!.version.kind).toBe('running');
      expect(v.read(HOST, 'ffffffffffffffff')).toBeNull();
      // the same text is stored once; files are private
      v.record(HOST, 'applied', rules(3), { outcome: 'reverted' });
      expect(readdirSync(dir).filter((f) => f.endsWith('.rules'))).toHaveLength(3);
      expect(statSync(join(dir, 'index.jsonl')).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(ap.id).toMatch(/^[0-9a-f]{16}$/);
    });
  });

  it('keeps the IPv6 versions apart: each family repeats only its own last version, and says its family', () => {
    withStore((v) => {
      const v4 = v.record(HOST, 'saved', rules(3));
      const six = rules(3).replace(/198\.18\.0\.(\d+)\/32/g, '2001:db8::$1/128');
      const v6 = v.record(HOST, 'saved', six, { family: 'ipv6' });
      expect(v6.id).not.toBe(v4.id);
      expect(v6.family).toBe('ipv6');
      // IPv4 versions carry no family (as every version kept before IPv6 was)
      expect(v4.family).toBeUndefined();
      // the IPv4 file seen again after the IPv6 one is still the same IPv4 version
      expect(v.record(HOST, 'saved', rules(3)).id).toBe(v4.id);
      expect(v.record(HOST, 'saved', six, { family: 'ipv6' }).id).toBe(v6.id);
      expect(v.list(HOST).map((e) => e.family ?? 'ipv4')).toEqual(['ipv6', 'ipv4']);
      expect(v.read(HOST, v6.id)?.text).toBe(six);
    });
  });

  it('skips a damaged index line, and refuses a host id that is not one', () => {
    withStore((v, dir) => {
      v.record(HOST, 'saved', rules(1));
      appendFileSync(join(dir, 'index.jsonl'), '{"id":"cut in the mid\n{"id":"../../etc","kind":"saved"}\n');
      v.record(HOST, 'saved', rules(2));
      expect(v.list(HOST).map((e) => e.rules)).toEqual([2, 1]);
      expect(() => v.list('../x')).toThrow(/bad host id/);
    });
  });

  it(`keeps at most ${MAX_ENTRIES} versions and removes the texts nothing refers to`, () => {
    withStore((v, dir) => {
      for (let k = 0; k < MAX_ENTRIES + 20; k++) v.record(HOST, 'applied', rules(1, ` # ${k}`), { outcome: 'confirmed' });
      const list = v.list(HOST);
      expect(list).toHaveLength(MAX_ENTRIES);
      expect(v.read(HOST, list.at(-1)!.id)!.text).toContain('# 20');
      expect(readdirSync(dir).filter((f) => f.endsWith('.rules'))).toHaveLength(MAX_ENTRIES);
    });
  });

  it('keeps the newest versions within the byte limit', () => {
    withStore((v) => {
      const big = 'x'.repeat(MAX_BYTES / 3);
      for (let k = 0; k < 5; k++) v.record(HOST, 'applied', `${big}${k}`, { outcome: 'confirmed' });
      expect(v.list(HOST).length).toBeLessThanOrEqual(3);
      expect(v.sizeOf(HOST)).toBeLessThanOrEqual(MAX_BYTES + 64 * 1024);
      expect(v.read(HOST, v.list(HOST)[0].id)!.text.endsWith('4')).toBe(true);
      v.forget(HOST);
      expect(v.list(HOST)).toEqual([]);
    });
  });
});
