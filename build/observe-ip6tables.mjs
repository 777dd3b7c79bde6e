// Observe real ip6tables-legacy on every row of the extension test vectors
// (../shared/conformance/ip6tables-t/libip6t_*.t and the family-independent
// ../shared/conformance/iptables-t/libxt_*.t, and our own probes in
// src-main/core/testing/ip6tables-probes.t) and write what it accepted and
// printed as a TSV with the columns of iptables-t/observed.tsv.
// Run as root INSIDE a scratch network namespace, never in the root one:
//   ip netns add scratch6 && ip netns exec scratch6 node build/observe-ip6tables.mjs > src-main/core/testing/ip6tables-observed.tsv; ip netns del scratch6
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shared = process.env.PORTCULLIS_SHARED ?? join(here, '..', '..', 'shared');
if (!spawnSync('ip', ['netns', 'identify', String(process.pid)], { encoding: 'utf8' }).stdout.trim()) {
  console.error('refusing to run in the root network namespace: use ip netns exec');
  process.exit(2);
}

function shellWords(s) {
  const out = [];
  let cur = '', has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") { const j = s.indexOf("'", i + 1); cur += s.slice(i + 1, j < 0 ? s.length : j); has = true; i = j < 0 ? s.length : j; }
    else if (c === '"') { has = true; for (i++; i < s.length && s[i] !== '"'; i++) { if (s[i] === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1])) cur += s[++i]; else cur += s[i]; } }
    else if (c === '\\' && i + 1 < s.length) { cur += s[++i]; has = true; }
    else if (c === ' ' || c === '\t') { if (has || cur) out.push(cur); cur = ''; has = false; }
    else { cur += c; has = true; }
  }
  if (has || cur) out.push(cur);
  return out;
}

const run = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' });
const files = [
  ...readdirSync(join(shared, 'conformance', 'ip6tables-t')).filter((f) => /^libip6t_.*\.t$/.test(f)).map((f) => join(shared, 'conformance', 'ip6tables-t', f)),
  ...readdirSync(join(shared, 'conformance', 'iptables-t')).filter((f) => /^libxt_.*\.t$/.test(f)).map((f) => join(shared, 'conformance', 'iptables-t', f)),
].sort((a, b) => (a.split('/').pop() < b.split('/').pop() ? -1 : 1));
// our own probes of edge cases, observed the same way
files.push(join(here, '..', 'src-main', 'core', 'testing', 'ip6tables-probes.t'));

console.log(['file', 'table', 'chain', 'rule', 'expected', 'observed_exit', 'observed_canonical', 'expected_canonical', 'agrees', 'observed_error', 'line'].join('\t'));
for (const path of files) {
  const file = path.split('/').pop();
  let table = 'filter';
  let chain = 'INPUT';
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, k) => {
    if (line.startsWith('*')) { table = line.slice(1).trim(); return; }
    if (line.startsWith(':')) { chain = line.slice(1).split(',')[0].trim(); return; }
    if (!line.trim() || line.startsWith('#')) return;
    const [rule, expectedText = '', expected = ''] = line.split(';');
    const r = run('ip6tables-legacy', ['-t', table, '-A', chain, ...shellWords(rule)]);
    let canonical = '';
    if (r.status === 0) {
      const save = run('ip6tables-legacy-save', ['-t', table]).stdout;
      canonical = save.split('\n').filter((l) => l.startsWith('-A ')).join(' || ');
      run('ip6tables-legacy', ['-t', table, '-F']);
    }
    const want = expected === 'OK' ? (expectedText === '=' ? `-A ${chain} ${rule}` : `-A ${chain} ${expectedText}`) : '';
    const agrees = (expected === 'OK') === (r.status === 0) && (r.status !== 0 || canonical === want) ? 'yes' : 'no';
    const error = r.status === 0 ? '' : (r.stderr || '').split('\n').filter((l) => l.trim() && !/^Try `/.test(l)).join(' / ');
    console.log([file, table, chain, rule, expected, r.status, canonical, want, agrees, error, k + 1].join('\t'));
  });
}
