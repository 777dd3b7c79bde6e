import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  appendKnownHost,
  checkHostKey,
  entryMatchesHost,
  fingerprintSha256,
  hashHostName,
  keyTypeOfBlob,
  knownHostsAddress,
  knownHostsName,
  parseKnownHosts,
  patternListMatches,
  preferredHostKeyAlgorithms,
} from './known-hosts.js';

// Made with OpenSSH 9.2: ssh-keygen -t …; `ssh-keygen -H` for the hashed lines; `ssh-keygen -lf` for the fingerprints.
const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIJ2qkx3Z7G2cIlZ8ElCQxsTqOawCAP/MwwkWLw7AZilJ';
const ED_FP = 'SHA256:Seif9ktNg+tCgPimMLXlVFOq6VKVHa36K/vTZOfJydc';
const EC =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBA8uj9zTXxXHz25BWCpCRTpIadd9m3ZiyBL/h83xCNkwiBAS+3ZzUDlOK7HdFgI+FRgiQA7ZCoTzEnIpO+0K4iM=';
const EC_FP = 'SHA256:49pXXG3rlcgI74RAQLN6vbluc7sNzUvpNQjybba1kuc';
const ED2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIAGEAGwoE3S4S5aNjIQnM9a9ywK3vtOMFpZGLwIoBC+q';
const ED2_FP = 'SHA256:pc3EYd44/3Mifg18Ti6SJYMFTGjcsMczNaybMaM1xgA';
const HASHED = [
  `|1|PpvAva58ho4NbJMKyNKbiV/ij3Q=|+bWnQCi4usdxTVzh+ipyMeOQibk= ssh-ed25519 ${ED}`, // 192.0.2.10
  `|1|SosqqJp8UiyzQoI0YutgN8+GLEE=|4w7cO8s6QRWOvnPjOm+N5UkYSwM= ecdsa-sha2-nistp256 ${EC}`, // [192.0.2.11]:2222
].join('\n');
const b = (s: string) => Buffer.from(s, 'base64');

describe('fingerprints', () => {
  it('match ssh-keygen -l', () => {
    expect(fingerprintSha256(b(ED))).toBe(ED_FP);
    expect(fingerprintSha256(b(EC))).toBe(EC_FP);
    expect(fingerprintSha256(b(ED2))).toBe(ED2_FP);
  });
  it('read the key type from the blob', () => {
    expect(keyTypeOfBlob(b(ED))).toBe('ssh-ed25519');
    expect(keyTypeOfBlob(b(EC))).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOfBlob(Buffer.from([1, 2]))).toBe('unknown');
  });
});

describe('known_hosts parsing and matching', () => {
  it('matches entries hashed by ssh-keygen -H, port 22 bare and other ports bracketed', () => {
    const { entries, skipped } = parseKnownHosts(HASHED);
    expect(skipped).toEqual([]);
    expect(entries).toHaveLength(2);
    expect(entryMatchesHost(entries[0], knownHostsName('192.0.2.10', 22))).toBe(true);
    expect(entryMatchesHost(entries[0], knownHostsName('192.0.2.10', 2222))).toBe(false);
    expect(entryMatchesHost(entries[1], knownHostsName('192.0.2.11', 2222))).toBe(true);
    expect(entryMatchesHost(entries[1], knownHostsName('192.0.2.11', 22))).toBe(false);
    expect(checkHostKey(entries, '192.0.2.10', 22, b(ED)).kind).toBe('trusted');
    expect(checkHostKey(entries, '192.0.2.11', 2222, b(EC)).kind).toBe('trusted');
  });

  it('IPv6 literals: bare on port 22, [addr]:port elsewhere, hashed as ssh-keygen -H hashes them; one address however it is spelled', () => {
    // OpenSSH 9.2 ssh-keygen -H of `2001:db8:5::2 …` and `[2001:db8:5::3]:2222 …`
    const hashed = [
      `|1|xw2te9SRhSwsYTzV8tMEzMxlFqI=|Y8lGHupw8S90YblxjDtY9VHJei0= ssh-ed25519 ${ED}`,
      `|1|vlC9KTvr40e7W86PzSTc32+tEdQ=|J+BtxJ/pemHTvQPqgE5Qa2ZWrLU= ssh-ed25519 ${ED}`,
    ].join('\n');
    const { entries } = parseKnownHosts(hashed);
    expect(checkHostKey(entries, '2001:db8:5::2', 22, b(ED)).kind).toBe('trusted');
    expect(checkHostKey(entries, '2001:db8:5::3', 2222, b(ED)).kind).toBe('trusted');
    expect(checkHostKey(entries, '2001:db8:5::3', 22, b(ED)).kind).toBe('unknown');
    expect(checkHostKey(entries, knownHostsAddress('2001:DB8:5:0:0::02'), 22, b(ED)).kind).toBe('trusted');
    expect(knownHostsName('2001:db8:5::3', 2222)).toBe('[2001:db8:5::3]:2222');
    expect(knownHostsAddress('2001:0db8:0005:0000::0002')).toBe('2001:db8:5::2');
    expect(knownHostsAddress('::ffff:198.18.0.1')).toBe('::ffff:198.18.0.1');
    expect(knownHostsAddress('web1.example.com')).toBe('web1.example.com');
    expect(knownHostsAddress('198.18.0.1')).toBe('198.18.0.1');
    expect(knownHostsAddress('2001:db8::zz')).toBe('2001:db8::zz');
  });

  it('hashes names the way OpenSSH does (round trip through its format)', () => {
    const line = `${hashHostName('[host.example]:2200')} ssh-ed25519 ${ED}`;
    const { entries } = parseKnownHosts(line);
    expect(checkHostKey(entries, 'host.example', 2200, b(ED)).kind).toBe('trusted');
    expect(checkHostKey(entries, 'host.example', 22, b(ED)).kind).toBe('unknown');
  });

  it('honours wildcard and negated patterns, case-insensitively', () => {
    expect(patternListMatches('web1.example.com', ['*.example.com'])).toBe(true);
    expect(patternListMatches('WEB1.EXAMPLE.COM', ['*.example.com'])).toBe(true);
    expect(patternListMatches('db.example.com', ['*.example.com', '!db.example.com'])).toBe(false);
    expect(patternListMatches('web12', ['web?'])).toBe(false);
    expect(patternListMatches('web1', ['web?'])).toBe(true);
    const { entries } = parseKnownHosts(`web*,!webx ssh-ed25519 ${ED}\n[10.0.0.1]:2222,10.0.0.1 ssh-ed25519 ${ED}`);
    expect(checkHostKey(entries, 'web7', 22, b(ED)).kind).toBe('trusted');
    expect(checkHostKey(entries, 'webx', 22, b(ED)).kind).toBe('unknown');
    expect(checkHostKey(entries, '10.0.0.1', 2222, b(ED)).kind).toBe('trusted');
    expect(checkHostKey(entries, '10.0.0.1', 22, b(ED)).kind).toBe('trusted');
  });

  it('reports a different key of a known type as changed, with the expected entries', () => {
    const { entries } = parseKnownHosts(`# comment\n\nhost1 ssh-ed25519 ${ED} old key\n`, '/x/known_hosts');
    const v = checkHostKey(entries, 'host1', 22, b(ED2));
    expect(v.kind).toBe('changed');
    if (v.kind === 'changed') {
      expect(v.expected).toHaveLength(1);
      expect(v.expected[0].line).toBe(3);
      expect(v.expected[0].file).toBe('/x/known_hosts');
      expect(fingerprintSha256(v.expected[0].key)).toBe(ED_FP);
    }
  });

  it('reports a key of an unlisted type as unknown, naming the types it does list', () => {
    const { entries } = parseKnownHosts(`host1 ecdsa-sha2-nistp256 ${EC}`);
    expect(checkHostKey(entries, 'host1', 22, b(ED))).toEqual({ kind: 'unknown', otherTypes: ['ecdsa-sha2-nistp256'] });
    expect(checkHostKey(entries, 'host2', 22, b(ED))).toEqual({ kind: 'unknown', otherTypes: [] });
  });

  it('refuses @revoked keys even when another line trusts them', () => {
    const { entries } = parseKnownHosts(`host1 ssh-ed25519 ${ED}\n@revoked * ssh-ed25519 ${ED}\n`);
    const v = checkHostKey(entries, 'host1', 22, b(ED));
    expect(v.kind).toBe('revoked');
    expect(checkHostKey(entries, 'host1', 22, b(ED2)).kind).toBe('changed');
  });

  it('skips @cert-authority lines and malformed ones, with reasons', () => {
    const { entries, skipped } = parseKnownHosts(
      [`@cert-authority *.example.com ssh-ed25519 ${ED}`, 'host1 ssh-ed25519 !!!notbase64', `host2 ssh-rsa ${ED}`, '@bogus x y z', 'onlyhost'].join('\n'),
    );
    expect(entries).toEqual([]);
    expect(skipped.map((s) => s.line)).toEqual([1, 2, 3, 4, 5]);
    expect(skipped[0].reason).toMatch(/certificates are not supported/);
    expect(skipped[2].reason).toMatch(/key blob is ssh-ed25519/);
  });

  it('offers the key types known for a host first (ssh-rsa as the rsa-sha2 family)', () => {
    const { entries } = parseKnownHosts(`host1 ecdsa-sha2-nistp256 ${EC}`);
    const algos = preferredHostKeyAlgorithms(entries, 'host1', 22);
    expect(algos[0]).toBe('ecdsa-sha2-nistp256');
    expect(algos).toContain('ssh-ed25519');
    expect(preferredHostKeyAlgorithms(entries, 'other', 22)[0]).toBe('ssh-ed25519');
    const rsaBlob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), Buffer.from([0, 0, 0, 1, 1])]);
    const rsa = parseKnownHosts(`h ssh-rsa ${rsaBlob.toString('base64')}`);
    expect(preferredHostKeyAlgorithms(rsa.entries, 'h', 22).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });

  it('appends a trusted key hashed, creating the file 0600, and never glues it onto a last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-kh-'));
    try {
      const f = join(dir, 'sub', 'known_hosts');
      appendKnownHost(f, '192.0.2.5', 2200, b(ED));
      const first = readFileSync(f, 'utf8');
      expect(first).toMatch(/^\|1\|[^ ]+ ssh-ed25519 /);
      const g = join(dir, 'kh2');
      writeFileSync(g, `other ssh-ed25519 ${ED2}`); // no final newline
      appendKnownHost(g, 'h', 22, b(ED), { hash: false });
      expect(readFileSync(g, 'utf8')).toBe(`other ssh-ed25519 ${ED2}\nh ssh-ed25519 ${ED}\n`);
      const { entries } = parseKnownHosts(first);
      expect(checkHostKey(entries, '192.0.2.5', 2200, b(ED)).kind).toBe('trusted');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
