#!/usr/bin/env node
// Observes how real iptables-legacy-restore 1.8.9 reads `--option=value`
// (getopt_long's attached form) for every option in iptables' own test vectors
// that it accepts written apart: some options take the value from optarg (the
// part after `=`), others from the whole word (`--in-interface=lo` becomes an
// interface named `--in-interface=lo`). Each variant is loaded into a scratch
// network namespace and read back with iptables-legacy-save; the result goes to
// src-main/core/testing/long-equals-observed.tsv (same columns as observed.tsv),
// which long-equals.test.ts holds the parser to. Needs root.
//   node build/observe-long-equals.mjs
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const observed = join(root, '..', 'shared', 'conformance', 'iptables-t', 'observed.tsv');
const out = join(root, 'src-main', 'core', 'testing', 'long-equals-observed.tsv');
const ns = `pcl-eq-${process.pid}`;

/** shell-like words of a vector's rule (quotes as in the .t files) */
function words(s) {
  const outw = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'") {
      const j = s.indexOf(c, i + 1);
      cur += s.slice(i + 1, j < 0 ? s.length : j);
      has = true;
      i = j < 0 ? s.length : j;
    } else if (c === ' ') {
      if (has || cur) outw.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (has || cur) outw.push(cur);
  return outw;
}
const quote = (w) => (w !== '' && /^[^\s"\\]+$/.test(w) ? w : '"' + w.replace(/[\\"]/g, (c) => '\\' + c) + '"');

const SHORT_LONG = { '-s': ['--source', '--src'], '-d': ['--destination', '--dst'], '-i': ['--in-interface'], '-o': ['--out-interface'], '-p': ['--protocol'], '-j': ['--jump'], '-g': ['--goto'], '-m': ['--match'] };

/** Each way of attaching one option's value with `=`, at most `per` per option name. */
function variants(rule, seen, per = 3) {
  const w = words(rule);
  const res = [];
  for (let i = 0; i + 1 < w.length; i++) {
    const opt = w[i];
    const val = w[i + 1];
    if (val === '!' || val === '' || /^-/.test(val)) continue;
    const longs = opt.startsWith('--') ? [opt] : SHORT_LONG[opt] ?? [];
    for (const l of longs) {
      const key = l;
      const n = seen.get(key) ?? 0;
      if (n >= per) continue;
      seen.set(key, n + 1);
      res.push([...w.slice(0, i), `${l}=${val}`, ...w.slice(i + 2)].map(quote).join(' '));
    }
  }
  return res;
}

function load(table, chain, rule) {
  const text = `*${table}\n-A ${chain} ${rule}\nCOMMIT\n`;
  const r = spawnSync('ip', ['netns', 'exec', ns, 'iptables-legacy-restore'], { input: text });
  if (r.status !== 0) return { exit: r.status, canonical: '', error: String(r.stderr).trim().split('\n')[0] };
  const s = spawnSync('ip', ['netns', 'exec', ns, 'iptables-legacy-save', '-t', table]);
  const line = String(s.stdout).split('\n').find((l) => l.startsWith(`-A ${chain} `)) ?? '';
  return { exit: 0, canonical: line, error: '' };
}

const rows = readFileSync(observed, 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
const seen = new Map();
const lines = ['file\ttable\tchain\trule\texpected\tobserved_exit\tobserved_canonical\texpected_canonical\tagrees\tobserved_error\tline'];
spawnSync('ip', ['netns', 'add', ns]);
try {
  // the commands' own long options and the generic ones, on plain rules (whole lines, chain X declared)
  const PROBES = [
    '--append=INPUT -s 10.0.0.1/32 -j ACCEPT', '--app=INPUT -s 10.0.0.1/32 -j ACCEPT', '--insert=INPUT -s 10.0.0.1/32 -j ACCEPT',
    '--insert=INPUT 1 -j ACCEPT', '--check=INPUT -s 10.0.0.1/32 -j ACCEPT', '--delete=INPUT -j ACCEPT', '--new-chain=Y',
    '--policy=INPUT DROP', '--flush=INPUT', '--zero=INPUT', '--delete-chain=X', '--rename-chain=X Y',
    '-A INPUT --jump=ACCEPT', '-A INPUT --jump=X', '-A INPUT --goto=X', '-A INPUT --jump=LOG --log-prefix x', '-A INPUT --j=ACCEPT',
    '-A INPUT --in-interface=lo -j ACCEPT', '-A INPUT --in=lo -j ACCEPT', '-A INPUT --out-interface=lo -j ACCEPT', '-A INPUT -i=lo -j ACCEPT',
    '-A INPUT --protocol=tcp -j ACCEPT', '-A INPUT --source=10.0.0.1 -j ACCEPT', '-A INPUT --src=10.0.0.1 -j ACCEPT',
    '-A INPUT --destination=10.0.0.1 -j ACCEPT', '-A INPUT --dst=10.0.0.1 -j ACCEPT', '-A INPUT -s=10.0.0.1 -j ACCEPT',
    '-A INPUT --match=conntrack --ctstate=INVALID -j DROP', '-A INPUT -p tcp --match=tcp --dport=22 -j ACCEPT', '-A INPUT -p tcp --dport=22 -j ACCEPT',
    '-A INPUT -p tcp --destination-port=22 -j ACCEPT', '-A INPUT -p udp -m multiport --dports=53,67 -j ACCEPT',
    '-A INPUT -m comment --comment=hello -j ACCEPT', '-A INPUT -m state --state=NEW -j ACCEPT', '-A INPUT --set-counters=1 2 -j ACCEPT',
    '-A INPUT --fragments=x -j ACCEPT', '-A INPUT -m limit --limit=5/sec -j ACCEPT', '-A INPUT -j REJECT --reject-with=tcp-reset -p tcp',
    '-A INPUT --jump=REJECT --reject-with tcp-reset -p tcp', '-A INPUT -m mark --mark=0x1 -j ACCEPT', '-A INPUT --match=mark --mark 0x1 -j ACCEPT',
    // the short options with the value attached: the same argv[optind-1] rule
    '-A INPUT -ieth0 -j ACCEPT', '-A INPUT -s10.0.0.1 -j ACCEPT', '-A INPUT -d10.0.0.1 -j ACCEPT', '-A INPUT -jACCEPT', '-A FORWARD -oeth1 -j ACCEPT',
    '-A INPUT -ptcp -j ACCEPT', '-A INPUT -mconntrack --ctstate NEW -j ACCEPT', '-A INPUT -gX', '-AINPUT -j ACCEPT',
  ];
  for (const probe of PROBES) {
    const text = `*filter\n:X - [0:0]\n${probe}\nCOMMIT\n`;
    const r = spawnSync('ip', ['netns', 'exec', ns, 'iptables-legacy-restore'], { input: text });
    const chain = /^-A ?(\S+)/.exec(probe)?.[1] ?? '';
    let canonical = '';
    if (r.status === 0 && chain) {
      const saved = String(spawnSync('ip', ['netns', 'exec', ns, 'iptables-legacy-save', '-t', 'filter']).stdout);
      canonical = saved.split('\n').find((l) => l.startsWith(`-A ${chain} `)) ?? '';
    }
    spawnSync('ip', ['netns', 'exec', ns, 'iptables-legacy', '-F']);
    spawnSync('ip', ['netns', 'exec', ns, 'iptables-legacy', '-X']);
    lines.push(['command', 'filter', chain, probe, '-', r.status, canonical, '', '', String(r.stderr).trim().split('\n')[0] ?? '', 0].join('\t'));
  }
  for (const f of rows) {
    const [file, table, chain, rule, , exit] = f;
    if (exit !== '0') continue;
    for (const v of variants(rule, seen)) {
      const o = load(table, chain, v);
      lines.push([file, table, chain, v, '-', o.exit, o.canonical, '', '', o.error.replace(/\t/g, ' '), f[10]].join('\t'));
    }
  }
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
}
writeFileSync(out, lines.join('\n') + '\n');
console.log(`${lines.length - 1} variants observed → ${out}`);
