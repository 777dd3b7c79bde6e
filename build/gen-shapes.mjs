// Ruleset shapes for the bench, each written the way real tools write them
// (iptables-save format), with about `n` rules (-A lines):
//   mixed       the original generator (gen-ruleset.mjs)
//   blocklist   70% single-address DROPs in one chain, 10% rate-limited accepts
//   ratelimit   many per-service rate limits (limit / hashlimit accept + drop pairs)
//   kube        kube-proxy's nat table: KUBE-SVC/KUBE-SEP chains, statistic cascades, DNAT
//   docker      Docker's filter and nat chains plus fail2ban's f2b-* chains
//   tree        a deep tree of user chains, each level narrowing the address block
//   manymatch   service rules with many matches each
// plus the shapes other tools write (gen-shapes-tools.mjs: calico, ufw,
// firewalld, csf, neutron) and IPv6 shapes (gen-shapes6.mjs: blocklist6, mixed6).
// node build/gen-shapes.mjs SHAPE N [SEED] > file
import { generateRuleset } from './gen-ruleset.mjs';
import { rng, addr } from './shape-util.mjs';
import { TOOL_SHAPES } from './gen-shapes-tools.mjs';
import { SHAPES6 } from './gen-shapes6.mjs';

function blocklist(n, seed) {
  const rnd = rng(seed);
  const out = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':blocklist - [0:0]'];
  out.push('-A INPUT -i lo -j ACCEPT', '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -j blocklist');
  const drops = Math.floor(n * 0.7);
  const limits = Math.floor(n * 0.1);
  for (let i = 0; i < drops; i++) out.push(`-A blocklist -s ${addr(rnd(2) ? 45 : 185, i)}/32 -j DROP`);
  for (let i = 0; i < limits; i++) {
    const src = `${addr(100, i * 256).replace(/\.\d+$/, '.0')}/24`;
    out.push(`-A INPUT -s ${src} -p tcp -m tcp --dport ${1 + rnd(65535)} -m limit --limit ${1 + rnd(50)}/sec --limit-burst ${5 + rnd(20)} -j ACCEPT`);
  }
  for (let i = out.length - 5; i < n; i++) {
    out.push(rnd(2)
      ? `-A INPUT -s 10.${rnd(256)}.${rnd(256)}.0/24 -p tcp -m tcp --dport ${1 + rnd(65535)} -j ACCEPT`
      : `-A OUTPUT -d ${addr(20, i)}/32 -j DROP`);
  }
  out.push('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', 'COMMIT');
  return out;
}

function ratelimit(n, seed) {
  const rnd = rng(seed);
  const out = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':limits - [0:0]'];
  out.push('-A INPUT -i lo -j ACCEPT', '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -j limits');
  for (let i = 0; out.length - 5 < n; i++) {
    const src = `${addr(10, i * 256).replace(/\.\d+$/, '.0')}/24`;
    const port = 1 + rnd(65535);
    const k = rnd(3);
    if (k === 0) {
      out.push(`-A limits -s ${src} -p tcp -m tcp --dport ${port} -m limit --limit ${1 + rnd(100)}/min --limit-burst ${1 + rnd(10)} -j ACCEPT`);
      out.push(`-A limits -s ${src} -p tcp -m tcp --dport ${port} -j DROP`);
    } else if (k === 1) {
      out.push(`-A limits -s ${src} -p udp -m udp --dport ${port} -m hashlimit --hashlimit-upto ${1 + rnd(50)}/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name h${i} -j ACCEPT`);
    } else {
      out.push(`-A INPUT -s ${src} -p tcp -m tcp --dport ${port} -m conntrack --ctstate NEW -m limit --limit ${1 + rnd(20)}/sec -j ACCEPT`);
    }
  }
  out.push('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', 'COMMIT');
  return out;
}

/** kube-proxy's hash-like chain suffix. */
function kname(rnd) {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let s = '';
  for (let i = 0; i < 16; i++) s += A[rnd(32)];
  return s;
}

function kube(n, seed) {
  const rnd = rng(seed);
  const decl = [];
  const rules = [];
  const natDecl = [':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-MARK-MASQ - [0:0]', ':KUBE-NODEPORTS - [0:0]', ':KUBE-POSTROUTING - [0:0]', ':KUBE-SERVICES - [0:0]'];
  rules.push(
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
  const svcRules = [];
  let count = rules.length + 1;
  for (let s = 0; count < n; s++) {
    const svc = `KUBE-SVC-${kname(rnd)}`;
    const name = `ns${s % 97}/svc-${s}:http`;
    const vip = addr(10, 0x600000 + s);
    const port = [80, 443, 8080, 53, 9090][rnd(5)];
    const proto = port === 53 ? 'udp' : 'tcp';
    decl.push(`:${svc} - [0:0]`);
    svcRules.push(`-A KUBE-SERVICES -d ${vip}/32 -p ${proto} -m comment --comment "${name} cluster IP" -m ${proto} --dport ${port} -j ${svc}`);
    rules.push(`-A ${svc} ! -s 10.244.0.0/16 -d ${vip}/32 -p ${proto} -m comment --comment "${name} cluster IP" -m ${proto} --dport ${port} -j KUBE-MARK-MASQ`);
    const eps = 1 + rnd(4);
    count += 2;
    for (let e = 0; e < eps; e++) {
      const sep = `KUBE-SEP-${kname(rnd)}`;
      const pod = addr(10, 0xf40000 + ((s * 5 + e) & 0xffff));
      decl.push(`:${sep} - [0:0]`);
      const left = eps - e;
      const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
      rules.push(`-A ${svc} -m comment --comment "${name} -> ${pod}:${port}"${stat} -j ${sep}`);
      rules.push(`-A ${sep} -s ${pod}/32 -m comment --comment "${name}" -j KUBE-MARK-MASQ`);
      rules.push(`-A ${sep} -p ${proto} -m comment --comment "${name}" -m ${proto} -j DNAT --to-destination ${pod}:${port}`);
      count += 3;
    }
  }
  svcRules.push('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  const filter = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':KUBE-FORWARD - [0:0]',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', 'COMMIT'];
  return [...filter, '*nat', ...natDecl, ...decl, ...rules.slice(0, 7), ...svcRules, ...rules.slice(7), 'COMMIT'];
}

function docker(n, seed) {
  const rnd = rng(seed);
  const jails = ['sshd', 'nginx-http-auth', 'postfix', 'dovecot', 'recidive'];
  const f = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':DOCKER - [0:0]',
    ':DOCKER-ISOLATION-STAGE-1 - [0:0]', ':DOCKER-ISOLATION-STAGE-2 - [0:0]', ':DOCKER-USER - [0:0]'];
  for (const j of jails) f.push(`:f2b-${j} - [0:0]`);
  const ports = { sshd: '22', 'nginx-http-auth': '80,443', postfix: '25,465,587', dovecot: '110,143,993,995', recidive: '0:65535' };
  for (const j of jails) f.push(`-A INPUT -p tcp -m multiport --dports ${ports[j]} -j f2b-${j}`);
  f.push('-A FORWARD -j DOCKER-USER', '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
    '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A FORWARD -o docker0 -j DOCKER',
    '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT', '-A FORWARD -i docker0 -o docker0 -j ACCEPT',
    '-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2', '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
    '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP', '-A DOCKER-ISOLATION-STAGE-2 -j RETURN', '-A DOCKER-USER -j RETURN');
  const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER',
    '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', '-A DOCKER -i docker0 -j RETURN'];
  const containers = Math.floor(n * 0.15 / 3);
  for (let i = 0; i < containers; i++) {
    const ip = `172.17.${(i >> 8) & 255}.${(i & 255) || 1}`;
    const port = [80, 443, 5432, 6379, 8080][rnd(5)];
    const host = 1024 + (i % 60000);
    f.push(`-A DOCKER -d ${ip}/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport ${port} -j ACCEPT`);
    nat.push(`-A POSTROUTING -s ${ip}/32 -d ${ip}/32 -p tcp -m tcp --dport ${port} -j MASQUERADE`);
    nat.push(`-A DOCKER ! -i docker0 -p tcp -m tcp --dport ${host} -j DNAT --to-destination ${ip}:${port}`);
  }
  const bans = n - (f.length + nat.length - 20);
  for (let i = 0; i < bans; i++) {
    const j = jails[i % 7 < 4 ? 0 : 1 + rnd(4)];
    f.push(`-A f2b-${j} -s ${addr(rnd(2) ? 91 : 193, i)}/32 -j REJECT --reject-with icmp-port-unreachable`);
  }
  for (const j of jails) f.push(`-A f2b-${j} -j RETURN`);
  f.push('COMMIT');
  nat.push('COMMIT');
  return [...f, ...nat];
}

function tree(n, seed) {
  const rnd = rng(seed);
  // fan-out 4: each chain narrows the source block by two bits and jumps to its children
  const decl = [];
  const rules = [];
  const queue = [{ name: 'INPUT', prefix: 8, net: 10 << 24, depth: 0 }];
  let count = 0;
  let id = 0;
  while (queue.length && count < n) {
    const node = queue.shift();
    if (node.prefix < 30) {
      for (let k = 0; k < 4 && count < n; k++) {
        const child = `T${id++}-d${node.depth + 1}`;
        const net = (node.net | (k << (30 - node.prefix))) >>> 0;
        decl.push(`:${child} - [0:0]`);
        const ip = [net >>> 24, (net >> 16) & 255, (net >> 8) & 255, net & 255].join('.');
        rules.push(`-A ${node.name} -s ${ip}/${node.prefix + 2} -j ${child}`);
        queue.push({ name: child, prefix: node.prefix + 2, net, depth: node.depth + 1 });
        count++;
      }
    }
    // a few service rules in every chain
    for (let k = 0; k < 2 && count < n; k++, count++) rules.push(`-A ${node.name} -p tcp -m tcp --dport ${1 + rnd(65535)} -j ACCEPT`);
    if (node.name !== 'INPUT' && count < n) { rules.push(`-A ${node.name} -j RETURN`); count++; }
  }
  return ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ...decl, ...rules, 'COMMIT'];
}

function manymatch(n, seed) {
  const rnd = rng(seed);
  const out = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':svc - [0:0]',
    '-A INPUT -i lo -j ACCEPT', '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -j svc'];
  for (let i = 0; out.length - 5 < n; i++) {
    const src = `${addr(10, i * 256).replace(/\.\d+$/, '.0')}/24`;
    const p = 1 + rnd(60000);
    const kinds = [
      () => `-A svc -s ${src} -d 198.18.${rnd(256)}.${rnd(256)}/32 -i eth${rnd(4)} -p tcp -m tcp --dport ${p} --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -m comment --comment "svc ${i}" -m length --length 40:1500 -m ttl --ttl-gt ${rnd(64)} -j ACCEPT`,
      () => `-A svc -s ${src} -p tcp -m multiport --dports ${p},${p + 1},${p + 2}:${p + 9} -m conntrack --ctstate NEW,ESTABLISHED -m pkttype --pkt-type unicast -m addrtype --dst-type LOCAL -m comment --comment "multi ${i}" -j ACCEPT`,
      () => `-A svc -m iprange --src-range ${addr(10, i * 4)}-${addr(10, i * 4 + 3)} -p udp -m udp --sport 1024:65535 --dport ${p} -m conntrack --ctstate NEW -m limit --limit ${1 + rnd(9)}/sec --limit-burst 10 -m comment --comment "udp ${i}" -j ACCEPT`,
      () => `-A svc -s ${src} -p tcp -m tcp --dport ${p} -m conntrack --ctstate NEW -m recent --set --name r${i % 1000} --mask 255.255.255.255 --rsource -m comment --comment "track ${i}" -j LOG --log-prefix "svc${i % 1000} " --log-level 6`,
      () => `-A svc -s ${src} -p icmp -m icmp --icmp-type 8 -m limit --limit 5/sec -m mark ! --mark 0x${(i % 255).toString(16)}/0xff -j ACCEPT`,
    ];
    out.push(kinds[rnd(kinds.length)]());
  }
  out.push('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', 'COMMIT');
  return out;
}

export const SHAPES = {
  mixed: (n, seed) => generateRuleset(n, seed).replace(/\n$/, '').split('\n'),
  blocklist, ratelimit, kube, docker, tree, manymatch,
  ...TOOL_SHAPES, ...SHAPES6,
};

/** 'ipv6' for the shapes ip6tables-restore reads, else 'ipv4' */
export const shapeFamily = (shape) => (shape in SHAPES6 ? 'ipv6' : 'ipv4');

/** the shapes the bench has had from the start (run at every size by default; the others at fewer) */
export const FIRST_SHAPES = ['mixed', 'blocklist', 'ratelimit', 'kube', 'docker', 'tree', 'manymatch'];

/** the -m set names a file refers to: whoever loads it into a kernel must create them first */
export const setNames = (text) => [...new Set(Array.from(text.matchAll(/--match-set (\S+)/g), (m) => m[1]))];

export function generateShape(shape, n, seed = 1) {
  const g = SHAPES[shape];
  if (!g) throw new Error(`unknown shape ${shape}: one of ${Object.keys(SHAPES).join(', ')}`);
  return g(n, seed).join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(generateShape(process.argv[2] ?? 'mixed', Number(process.argv[3] ?? 100000), Number(process.argv[4] ?? 1)));
}
