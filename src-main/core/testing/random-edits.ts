// Random rulesets of both families as admins write them (comments, blank
// lines, counters, disabled rules, lines of several rules, two tables, user
// chains reached by jumps) and random staged edits of them: for the property
// tests of the incremental edit and lint.
import type { EditOp, Family, ParseResult, TableName } from '../index.js';

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

const ADDR = { ipv4: ['198.18.1.2', '198.18.1.0/24', '10.0.0.0/8', '198.18.1.2,198.18.1.3'], ipv6: ['2001:db8::2', '2001:db8:1::/48', '2001:db8::2,2001:db8::3'] };

function body(rnd: () => number, family: Family, table: TableName, chain: string, users: string[]): string {
  const parts: string[] = [];
  // a rule that decides every packet: a user chain that always ends in DROP shadows what follows its jump
  const plain = table === 'filter' ? ['-j DROP', '-j ACCEPT', '-j REJECT', '-j RETURN'] : ['-j ACCEPT', '-j RETURN'];
  if (rnd() < 0.2) return users.length && rnd() < 0.4 ? `-j ${pick(rnd, users)}` : pick(rnd, plain);
  if (rnd() < 0.4) parts.push(`${rnd() < 0.2 ? '! ' : ''}-s ${pick(rnd, ADDR[family])}`);
  if (rnd() < 0.2) parts.push(`-d ${pick(rnd, ADDR[family])}`);
  // interfaces where the chain's hook has them (-i in OUTPUT is an error; user chains may be reached from any hook)
  const ifaces = [...(['INPUT', 'FORWARD', 'PREROUTING'].includes(chain) ? ['-i eth0', '! -i lo'] : []), ...(['OUTPUT', 'FORWARD', 'POSTROUTING'].includes(chain) ? ['-o eth1+'] : [])];
  if (ifaces.length && rnd() < 0.3) parts.push(pick(rnd, ifaces));
  const proto = pick(rnd, ['', 'tcp', 'udp', family === 'ipv4' ? 'icmp' : 'ipv6-icmp']);
  if (proto) parts.push(`-p ${proto}`);
  if (proto === 'tcp' || proto === 'udp') parts.push(pick(rnd, ['--dport 22', `-m ${proto} --destination-port 80`, '-m multiport --dports 80,443', '--sport 1024:', '']));
  if (rnd() < 0.2) parts.push(pick(rnd, ['-m conntrack --ctstate RELATED,ESTABLISHED', '-m state --state NEW', '-m comment --comment "a note"', '-m limit --limit 5/min']));
  const nat = chain === 'POSTROUTING' ? ['-j MASQUERADE'] : chain === 'PREROUTING' || chain === 'OUTPUT' ? ['-j DNAT --to-destination 198.18.0.9'] : [];
  const targets = table === 'nat' ? ['-j ACCEPT', '-j RETURN', ...nat] : ['-j ACCEPT', '-j DROP', '-j REJECT', '-j LOG --log-prefix "x: "', '-j RETURN'];
  // a jump to a user chain (maybe its own: a loop, which the kernel refuses) or a target in the wrong hook
  const t = users.length && rnd() < 0.3 ? `-${pick(rnd, ['j', 'g'])} ${pick(rnd, users)}` : pick(rnd, targets);
  parts.push(family === 'ipv6' && t.startsWith('-j DNAT') ? '-j DNAT --to-destination [2001:db8::9]' : t);
  return parts.filter(Boolean).join(' ');
}

/** A file with comments, blank lines, counters, disabled rules, lines of several rules and two tables. */
export function randomFile(rnd: () => number, family: Family): string {
  const out: string[] = ['# written by hand', ''];
  for (const table of ['filter', 'nat'] as const) {
    if (table === 'nat' && rnd() < 0.4) continue;
    const builtins = table === 'filter' ? ['INPUT', 'FORWARD', 'OUTPUT'] : ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];
    const users = ['U1', 'U2', 'U3'].slice(0, Math.floor(rnd() * 4));
    out.push(`*${table}`);
    for (const b of builtins) out.push(`:${b} ${pick(rnd, ['ACCEPT', 'DROP'])} [${Math.floor(rnd() * 9)}:${Math.floor(rnd() * 900)}]`);
    for (const u of users) out.push(`:${u} - [0:0]`);
    const chains = [...builtins, ...users];
    const n = Math.floor(rnd() * 14);
    for (let k = 0; k < n; k++) {
      const c = pick(rnd, chains);
      const ci = chains.indexOf(c);
      // jumps only forward (no loops in the file itself), so most files load
      const later = users.filter((u) => chains.indexOf(u) > ci);
      const r = rnd();
      if (r < 0.08) out.push('');
      else if (r < 0.14) out.push(`# about ${c}`);
      const line = `-A ${c} ${body(rnd, family, table, c, later)}`;
      out.push(r > 0.9 ? `#${line}` : r > 0.85 ? `[3:180] ${line}` : line);
    }
    out.push('COMMIT');
  }
  return out.join('\n') + (rnd() < 0.97 ? '\n' : '');
}

/** entries (active and disabled) of each chain, from the model */
function entries(p: ParseResult): { table: TableName; chain: string; n: number; users: string[] }[] {
  const out = [];
  for (const t of p.ruleset.tables) {
    const users = t.chains.filter((c) => !c.builtin).map((c) => c.name);
    for (const c of t.chains) out.push({ table: t.name, chain: c.name, n: c.rules.length + c.disabled.length, users });
  }
  return out;
}

export function randomOp(rnd: () => number, p: ParseResult): EditOp | null {
  const chains = entries(p);
  if (!chains.length) return null;
  // user chains half the time: an edit there changes the verdict of the chains that jump to it
  const users = chains.filter((x) => x.users.includes(x.chain));
  const c = users.length && rnd() < 0.5 ? pick(rnd, users) : pick(rnd, chains);
  const at = () => Math.floor(rnd() * c.n);
  const kind = c.n ? pick(rnd, ['add', 'add', 'replace', 'replace', 'delete', 'disable', 'enable', 'move', 'move', 'policy'] as const) : 'add';
  const table = c.table;
  const b = () => (rnd() < 0.05 ? '-j NOSUCHCHAIN' : body(rnd, p.ruleset.family, table, c.chain, c.users));
  switch (kind) {
    case 'add':
      return { kind: 'add', table, chain: c.chain, at: Math.floor(rnd() * (c.n + 1)), body: b(), ...(rnd() < 0.2 ? { disabled: true } : {}) };
    case 'replace':
      return { kind: 'replace', ref: { table, chain: c.chain, at: at() }, body: b() };
    case 'delete':
      return { kind: 'delete', refs: [...new Set([at(), at()].slice(0, 1 + Math.floor(rnd() * 2)))].map((a) => ({ table, chain: c.chain, at: a })) };
    case 'disable':
    case 'enable':
      return { kind: 'set-disabled', refs: [{ table, chain: c.chain, at: at() }], disabled: kind === 'disable' };
    case 'move': {
      const from = [...new Set([at(), at(), at()].slice(0, 1 + Math.floor(rnd() * 3)))];
      return { kind: 'move', table, chain: c.chain, from, to: Math.floor(rnd() * (c.n - from.length + 1)) };
    }
    case 'policy':
      return { kind: 'policy', table, chain: c.chain, policy: pick(rnd, ['ACCEPT', 'DROP'] as const) };
  }
}
