// OpenSSH known_hosts: parsing, host matching (patterns, negation, `[host]:port`,
// hashed `|1|salt|hash` entries), the verdict for an offered key, and appending
// a key the user chose to trust. Pure except for the small file helpers at the end.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  file: string;
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  /** comma-separated patterns, or null for a hashed entry */
  patterns: string[] | null;
  hashed: { salt: Buffer; hash: Buffer } | null;
  keyType: string;
  key: Buffer;
}

interface KnownHostsParse {
  entries: KnownHostEntry[];
  /** lines we could not use, with the reason (bad base64, @cert-authority …) */
  skipped: { file: string; line: number; reason: string }[];
}

export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH wire-format public key blob. */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return len > 0 && len < 64 && blob.length >= 4 + len ? blob.subarray(4, 4 + len).toString('latin1') : 'unknown';
}

/**
 * An IPv6 literal as ssh writes it into known_hosts (lower case, zeros compressed:
 * `2001:DB8:5:0::2` is `2001:db8:5::2`), so one address is one entry however it was typed;
 * anything else unchanged.
 */
export function knownHostsAddress(host: string): string {
  // (an IPv4-mapped ::ffff:a.b.c.d stays as typed: ssh keeps the dotted form)
  if (!host.includes(':') || !/^[0-9a-fA-F:]+$/.test(host)) return host;
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return host;
  }
}

/** The name a host is stored under: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const h = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${h.toString('base64')}`;
}

export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostsParse {
  const entries: KnownHostEntry[] = [];
  const skipped: KnownHostsParse['skipped'] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (!t || t.startsWith('#')) return;
    const fields = t.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        skipped.push({ file, line, reason: `unknown marker ${m}` });
        return;
      }
    }
    if (fields.length < 3) {
      skipped.push({ file, line, reason: 'expected: hosts keytype key' });
      return;
    }
    const [hosts, keyType, b64] = fields;
    const key = Buffer.from(b64, 'base64');
    if (!key.length || key.toString('base64').replace(/=+$/, '') !== b64.replace(/=+$/, '')) {
      skipped.push({ file, line, reason: 'key is not base64' });
      return;
    }
    if (keyTypeOfBlob(key) !== keyType) {
      skipped.push({ file, line, reason: `key blob is ${keyTypeOfBlob(key)}, line says ${keyType}` });
      return;
    }
    if (marker === 'cert-authority') {
      // we never negotiate host certificates (ssh2 does not offer them), so a CA line can vouch for nothing here
      skipped.push({ file, line, reason: '@cert-authority ignored: host certificates are not supported' });
      return;
    }
    let hashed: KnownHostEntry['hashed'] = null;
    let patterns: string[] | null = null;
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (!salt || !hash) {
        skipped.push({ file, line, reason: 'malformed hashed host' });
        return;
      }
      hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      patterns = hosts.split(',').filter(Boolean);
    }
    entries.push({ file, line, marker, patterns, hashed, keyType, key });
  });
  return { entries, skipped };
}

/** OpenSSH's match_pattern: `*` and `?` wildcards, case-insensitive. */
export function wildcardMatch(text: string, pattern: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .toLowerCase()
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
  return re.test(text.toLowerCase());
}

/** A pattern list matches when some pattern matches and no negated one does. */
export function patternListMatches(name: string, patterns: string[]): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (wildcardMatch(name, p.slice(1))) return false;
    } else if (wildcardMatch(name, p)) hit = true;
  }
  return hit;
}

export function entryMatchesHost(e: KnownHostEntry, name: string): boolean {
  if (e.hashed) {
    const h = createHmac('sha1', e.hashed.salt).update(name).digest();
    return h.length === e.hashed.hash.length && h.equals(e.hashed.hash);
  }
  return patternListMatches(name, e.patterns ?? []);
}

type HostKeyVerdict =
  | { kind: 'trusted'; entry: KnownHostEntry }
  | { kind: 'revoked'; entry: KnownHostEntry }
  | { kind: 'changed'; expected: KnownHostEntry[] }
  | { kind: 'unknown'; otherTypes: string[] };

/**
 * The verdict for the key a server offered, as OpenSSH would reach it: a
 * revoked key is refused; a listed key is trusted; a different key of a listed
 * type means the key changed; otherwise the key is unknown.
 */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const mine = entries.filter((e) => entryMatchesHost(e, name));
  const revoked = mine.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const plain = mine.filter((e) => e.marker === null);
  const same = plain.find((e) => e.key.equals(key));
  if (same) return { kind: 'trusted', entry: same };
  const type = keyTypeOfBlob(key);
  const sameType = plain.filter((e) => e.keyType === type);
  if (sameType.length) return { kind: 'changed', expected: sameType };
  return { kind: 'unknown', otherTypes: [...new Set(plain.map((e) => e.keyType))] };
}

// ssh2's host key algorithms, in its order of preference
const ALL_HOST_KEY_ALGOS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

function algosForKeyType(t: string): string[] {
  return t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
}

/**
 * Host key algorithms to offer: the types already known for the host first, as
 * OpenSSH does. Without this, ssh2 would negotiate ed25519 with a server whose
 * ECDSA key the admin's known_hosts holds, and report a good host as unknown.
 */
export function preferredHostKeyAlgorithms(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const known = entries.filter((e) => e.marker === null && entryMatchesHost(e, name)).map((e) => e.keyType);
  const first = ALL_HOST_KEY_ALGOS.filter((a) => known.some((t) => algosForKeyType(t).includes(a)));
  return [...first, ...ALL_HOST_KEY_ALGOS.filter((a) => !first.includes(a))];
}

// ---------------------------------------------------------------- files

export function loadKnownHosts(files: string[]): KnownHostsParse {
  const all: KnownHostsParse = { entries: [], skipped: [] };
  for (const f of files) {
    if (!existsSync(f)) continue;
    const p = parseKnownHosts(readFileSync(f, 'utf8'), f);
    all.entries.push(...p.entries);
    all.skipped.push(...p.skipped);
  }
  return all;
}

/** Appends a key the user explicitly trusted (hashed, as HashKnownHosts yes would). */
export function appendKnownHost(file: string, host: string, port: number, key: Buffer, opts: { hash?: boolean } = {}): string {
  const name = knownHostsName(host, port);
  const line = `${opts.hash === false ? name : hashHostName(name)} ${keyTypeOfBlob(key)} ${key.toString('base64')}\n`;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    appendFileSync(file, line, { mode: 0o600 });
    chmodSync(file, 0o600);
  } else {
    // a file without a final newline would glue our entry onto its last line
    const text = readFileSync(file, 'utf8');
    appendFileSync(file, (text.length && !text.endsWith('\n') ? '\n' : '') + line);
  }
  return line;
}
