// The texts reader (canon, diff) against the model's canonical writer, byte
// for byte, on rulesets made to exercise its shortcuts: every conformance
// vector of both families repeated with addresses (so that RuleTemplates and
// LineTemplates learn and apply templates on every kind of rule, valid or not),
// and random rulesets of repeated lines whose -s/-d words take every form the
// long way reads differently (leading zeros, host bits, /0, masks, names,
// lists, inversion, both orders, odd spacing, counters), IPv4 and IPv6.
import { describe, it, expect } from 'vitest';
import { parseRuleset, parseRulesetPieces, parseRulesetTexts, canonicalRuleset, canonicalFromTexts, writeCanonical, type Family, type RulesetTexts } from './index.js';
import { readObserved, readObserved6, restoreQuote, sharedAvailable, shellWords, type ObservedRow } from './testing/shared-data.js';
import { makeRandom } from './testing/random-ruleset.js';
import { withValues } from './testing/value-words.js';
import { corpusFiles, readCorpus } from './testing/shared-data.js';
// @ts-expect-error plain JavaScript, no declarations
import { generateShape, shapeFamily } from '../../build/gen-shapes.mjs';
import { pick, randomTemplateRuleset } from './testing/template-rulesets.js';
// @ts-expect-error plain JavaScript, no declarations
import { writeIp6 } from '../../build/shape-util.mjs';

function same(text: string, family: Family): void {
  const model = parseRuleset(text, { family });
  const lean = parseRulesetTexts(text, { family });
  expect(lean.findings).toEqual(model.findings);
  expect(canonicalFromTexts(lean.texts)).toBe(canonicalRuleset(model.ruleset));
  const pieces = parseRulesetPieces(() => piecesOf(text, 4096), { family });
  if (pieces) {
    expect(pieces.result.findings).toEqual(model.findings);
    expect(canonicalFromTexts(pieces.result.texts)).toBe(canonicalRuleset(model.ruleset));
  }
  sameWithSpans(text, family, model.findings, canonicalRuleset(model.ruleset));
}

/**
 * Read with spans (canon's way): the pieces are the file's bytes while they
 * are ASCII (as readFilePieces says); the spans, copied from the text, and the
 * texts together are the model's canonical text. Pieces of a few sizes, so
 * that lines and spans cross their ends.
 */
function sameWithSpans(text: string, family: Family, findings: unknown, canonical: string): void {
  for (const size of [4096, 777]) {
    const state = { given: 0 };
    const read = function* () {
      state.given = 0;
      for (let at = 0; at < text.length; at += size) {
        state.given = at + size;
        yield text.slice(at, at + size);
      }
    };
    // ASCII so far: the characters given are the file's bytes one for one
    const firstWide = text.search(/[^\x00-\x7f]/);
    const r = parseRulesetPieces(read, { family, spans: () => firstWide < 0 || state.given <= firstWide });
    if (!r) return;
    expect(r.result.findings).toEqual(findings);
    expect(withSpans(r.result.texts, text)).toBe(canonical);
  }
}

/** writeCanonical with the spans' bytes taken from the file's text (ASCII where there are spans) */
function withSpans(rt: RulesetTexts, file: string): string {
  let out = '';
  writeCanonical(rt, { text: (s) => (out += s), span: (a, b) => (out += file.slice(a, b)), bytes: (b, s, e) => (out += Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1')) });
  return out;
}

function* piecesOf(text: string, size: number): Generator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

describe('the texts reader prints what the model prints, byte for byte', () => {
  it('on random rulesets of repeated lines with every form of address (IPv4)', () => {
    for (let seed = 1; seed <= 60; seed++) same(randomTemplateRuleset(seed, 'ipv4', 300), 'ipv4');
  });

  it('on random rulesets of repeated lines with every form of address (IPv6)', () => {
    for (let seed = 1; seed <= 60; seed++) same(randomTemplateRuleset(seed, 'ipv6', 300), 'ipv6');
  });

  it('on long runs of one template, the addresses all plain', () => {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const rnd = makeRandom(7);
      const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':bl - [0:0]'];
      for (let k = 0; k < 3000; k++) {
        const a = family === 'ipv6' ? `2001:db8:${((k * 7919) % 65536).toString(16)}::${k.toString(16)}` : `198.${18 + (k & 1)}.${(k >> 8) & 255}.${k & 255}`;
        lines.push(pick(rnd, [`-A bl -s ${a} -j DROP`, `-A bl -s ${a}/${family === 'ipv6' ? 128 : 32} -j DROP`, `-A INPUT -d ${a}/${family === 'ipv6' ? 64 : 24} -j REJECT`,
          `-A INPUT -s ${a} -d ${a} -p tcp -j REJECT --reject-with tcp-reset`, `-A INPUT -d ${a} -s ${a} -j ACCEPT`]));
      }
      lines.push('COMMIT', '');
      same(lines.join('\n'), family);
    }
  });

  it('on IPv6 blocklists whose addresses take every notation, zero runs and prefix (read without BigInt by LineTemplates)', () => {
    const rnd = makeRandom(23);
    const group = () => (rnd() < 0.4 ? 0 : rnd() < 0.3 ? Math.floor(rnd() * 16) : Math.floor(rnd() * 65536));
    for (let round = 0; round < 4; round++) {
      const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':bl - [0:0]'];
      for (let k = 0; k < 1500; k++) {
        const g = Array.from({ length: 8 }, group);
        if (rnd() < 0.1) g.splice(0, 6, 0, 0, 0, 0, 0, rnd() < 0.5 ? 0xffff : 0);
        const style = Math.floor(rnd() * 5);
        const word = writeIp6(g, style);
        const len = pick(rnd, ['', '/128', '/64', `/${Math.floor(rnd() * 129)}`, '/0', '/064', '/129', `/${Math.floor(rnd() * 129)}`]);
        lines.push(pick(rnd, [`-A bl -s ${word}${len} -j DROP`, `-A bl ! -s ${word}${len} -j DROP`, `-A INPUT -d ${word}${len} -p tcp -j REJECT --reject-with tcp-reset`]));
      }
      lines.push('COMMIT', '');
      same(lines.join('\n'), 'ipv6');
    }
  });

  it('on blocklists written in other ways: -I, a comment per line, mixed prefixes, nat, interfaces, CRLF, UTF-8, no final line end', () => {
    const rnd = makeRandom(11);
    const a = (k: number) => `198.${18 + (k & 1)}.${(k >> 8) & 255}.${k & 255}`;
    const variants: ((k: number) => string)[] = [
      (k) => `-I bl -s ${a(k)}/32 -j DROP`,
      (k) => `-A bl -s ${a(k)}/32 -m comment --comment "blocked ${k % 7}" -j DROP`,
      (k) => `-A bl -s ${a(k)}/32 -m comment --comment blocked -j DROP`,
      (k) => `-A bl -s ${a(k)}/${pick(rnd, [24, 32, 16, 32])} -j DROP`,
      (k) => `-A bl -i eth${k % 3} -s ${a(k)}/32 -j DROP`,
      (k) => `-A bl ! -i lo -d ${a(k)}/32 -p tcp -m tcp --dport 443 -j REJECT --reject-with tcp-reset`,
      (k) => `-A bl -s ${a(k)} -j DROP`,
      (k) => `-A bl -s ${a(k)}/32 -j DROP\r`,
      (k) => `-A bl -s ${a(k)}/32 -m comment --comment "bloqué ${k % 3}" -j DROP`,
    ];
    for (const v of variants) {
      const filter = ['*filter', ':INPUT DROP [0:0]', ':bl - [0:0]', '-A INPUT -j bl'];
      for (let k = 0; k < 1500; k++) filter.push(v(k));
      filter.push('COMMIT');
      same(filter.join('\n') + '\n', 'ipv4');
      same(filter.join('\n'), 'ipv4');
    }
    // nat: the same lines in a table whose targets check the hooks
    const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':bl - [0:0]', '-A PREROUTING -j bl'];
    for (let k = 0; k < 1500; k++) {
      nat.push(pick(rnd, [`-A bl -s ${a(k)}/32 -j RETURN`, `-A bl -d ${a(k)}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1:8080`,
        `-A POSTROUTING -s ${a(k)}/32 -o eth0 -j MASQUERADE`, `-A bl -s ${a(k)}/32 -j MASQUERADE`]));
    }
    nat.push('COMMIT');
    same(nat.join('\n') + '\n', 'ipv4');
  });

  it('on more kinds of line than the template store holds (unused ones dropped, one replaced), against each line parsed alone', () => {
    const rnd = makeRandom(11);
    const head = ['*filter', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':user - [0:0]'];
    const lines: string[] = [];
    // 1,000 bodies (ports): 700 on two lines (a template learnt and never used: dropped when the store is full),
    // 300 on six; plain and not plain addresses (a template replaced); each kind's lines close together
    for (let p = 0; p < 1000; p++) {
      const copies = p % 10 < 7 ? 2 : 6;
      for (let c = 0; c < copies; c++) {
        const a = `198.18.${p % 256}.${Math.floor(rnd() * 256)}`;
        lines.push(`-A ${['INPUT', 'OUTPUT', 'user'][p % 3]} -s ${pick(rnd, [a, a, a, a + '/32', a + '/24', '198.18.01.1', 'localhost'])} -p tcp -m tcp --dport ${p + 1} -j ${['ACCEPT', 'user', 'DROP'][p % 3]}`);
      }
    }
    for (let k = lines.length - 1; k > 0; k--) {
      const j = Math.max(0, k - Math.floor(rnd() * 8));
      [lines[k], lines[j]] = [lines[j], lines[k]];
    }
    const text = [...head, ...lines, 'COMMIT', ''].join('\n');
    same(text, 'ipv4');
    // each line alone (no template can apply) prints what the whole file prints for it
    const whole = canonicalRuleset(parseRuleset(text).ruleset).split('\n').filter((l) => l.startsWith('-A '));
    const alone = lines.map((l) => canonicalRuleset(parseRuleset([...head, l, 'COMMIT', ''].join('\n')).ruleset).split('\n').find((x) => x.startsWith('-A ')));
    const byChain = (xs: (string | undefined)[]) => ['INPUT', 'OUTPUT', 'user'].flatMap((c) => xs.filter((x) => x?.startsWith(`-A ${c} `)));
    expect(whole).toEqual(byChain(alone));
  });

  // LineTemplates that swap option values (slot-values.ts): each line with a
  // value of --dport, --limit, --to-destination … is followed by copies with
  // other values, plain and odd, so that templates are learnt (probed) and
  // applied to values each slot reader takes and to ones it leaves to the parser
  it.skipIf(!sharedAvailable())('on every real-world file, its lines with option values repeated with other values', () => {
    let files = 0;
    for (const name of corpusFiles()) {
      const text = readCorpus(name);
      const rnd = makeRandom(name.length * 977 + text.length);
      const out: string[] = [];
      let swapped = 0;
      for (const line of text.split('\n')) {
        out.push(line);
        if (line.startsWith('#')) continue;
        for (let k = 0; k < 8; k++) {
          const v = withValues(line, rnd, k < 4 ? 1000 : 3);
          if (v === null) break;
          out.push(v);
          swapped++;
        }
      }
      if (swapped === 0) continue;
      files++;
      same(out.join('\n'), parseRuleset(text).ruleset.family);
    }
    expect(files).toBeGreaterThan(20);
  });

  it('on the template-heavy bench shapes with their option values random, plain and odd', () => {
    for (const shape of ['blocklist', 'docker', 'csf', 'ratelimit', 'ufw', 'mixed']) {
      const rnd = makeRandom(shape.length);
      const lines = (generateShape(shape, 4000, 3) as string).split('\n');
      const out = lines.map((l) => withValues(l, rnd, 12) ?? l);
      same(out.join('\n'), shapeFamily(shape) === 6 ? 'ipv6' : 'ipv4');
    }
  });

  it('on lines of one text whose values take turns between plain and odd (a template per burst of 5, limits the kernel refuses)', () => {
    const rnd = makeRandom(3);
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':user - [0:0]', '*nat'.slice(0, 0)].filter(Boolean);
    for (let k = 0; k < 3000; k++) {
      const burst = pick(rnd, ['5', '7', '5', String(1 + Math.floor(rnd() * 10000)), '0', '05']);
      const rate = pick(rnd, ['1/day', '1/hour', `${1 + Math.floor(rnd() * 50)}/sec`, `${1 + Math.floor(rnd() * 50)}/min`, '10001/s']);
      const port = pick(rnd, [String(Math.floor(rnd() * 65536)), 'ssh', '0:65535', `${Math.floor(rnd() * 1000)}:${1000 + Math.floor(rnd() * 1000)}`]);
      const src = `198.18.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}/${pick(rnd, ['32', '24', '0'])}`;
      lines.push(pick(rnd, [
        `-A INPUT -s ${src} -p tcp -m tcp --dport ${port} -m limit --limit ${rate} --limit-burst ${burst} -j ACCEPT`,
        `-A INPUT -p udp -m udp --sport ${port} -m limit --limit ${rate} -j user`,
        `-A user -p tcp -m multiport --dport ${port} -j ACCEPT`,
      ]));
    }
    lines.push('COMMIT', '*nat', ':PREROUTING ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':DOCKER - [0:0]', '-A PREROUTING -j DOCKER');
    for (let k = 0; k < 3000; k++) {
      const to = pick(rnd, [`172.17.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}:${1 + Math.floor(rnd() * 65535)}`, '172.17.0.2', '172.17.0.2:http', '172.17.0.2:80-90']);
      lines.push(pick(rnd, [
        `-A DOCKER ! -i docker0 -p tcp -m tcp --dport ${1 + Math.floor(rnd() * 65535)} -j DNAT --to-destination ${to}`,
        `-A POSTROUTING -s 172.17.0.${Math.floor(rnd() * 256)}/32 -d 172.17.0.1/32 -p tcp -m tcp --dport ${Math.floor(rnd() * 65536)} -j MASQUERADE`,
        `-A DOCKER -p udp -j SNAT --to-source ${to}`,
      ]));
    }
    lines.push('COMMIT', '');
    same(lines.join('\n'), 'ipv4');
  });

  const vectorFiles: [Family, () => ObservedRow[]][] = [['ipv4', readObserved], ['ipv6', readObserved6]];
  for (const [family, rows] of vectorFiles) {
    it.skipIf(!sharedAvailable())(`on every ${family} conformance vector, repeated with addresses (templates made and applied)`, () => {
      const byTable = new Map<string, ObservedRow[]>();
      for (const r of rows()) (byTable.get(r.table) ?? byTable.set(r.table, []).get(r.table)!).push(r);
      expect(byTable.size).toBeGreaterThan(1);
      const addrs = family === 'ipv6' ? ['2001:db8::1', '2001:db8::2/128', '2001:db8::/48'] : ['198.18.1.1', '198.18.1.2/32', '198.18.3.0/24'];
      for (const [table, list] of byTable) {
        const chains = [...new Set(list.map((r) => r.chain))];
        const lines = [`*${table}`, ...chains.map((c) => (/^[A-Z]+$/.test(c) ? `:${c} ACCEPT [0:0]` : `:${c} - [0:0]`))];
        const rnd = makeRandom(7);
        for (const r of list) {
          const rule = restoreQuote(shellWords(r.rule));
          lines.push(`-A ${r.chain} ${rule}`);
          for (const a of addrs) lines.push(`-A ${r.chain} -s ${a} ${rule}`, `-A ${r.chain} ${rule} -d ${a}`);
          // and with other option values (templates that swap them)
          for (let k = 0; k < 6; k++) {
            const v = withValues(`-A ${r.chain} -s ${addrs[k % 3]} ${rule}`, rnd, k < 3 ? 1000 : 2);
            if (v === null) break;
            lines.push(v);
          }
        }
        lines.push('COMMIT', '');
        same(lines.join('\n'), family);
      }
    });
  }
});
