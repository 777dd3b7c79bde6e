// IPv4 shapes as other tools write them (their iptables-save output, scaled up):
//   calico     Calico's cali-* chains: a unique `cali:` comment on every rule,
//              -m set, marks, per-workload and per-policy chains
//   ufw        ufw's ufw-user-* chains: allow/deny rules, limit (recent) and LOG pairs
//   firewalld  firewalld on iptables: zone chains (IN_zone_allow, FWDI_zone ...), -m conntrack, rich rules
//   csf        ConfigServer Firewall: allow/deny lists, iprange, country blocks of every prefix length
//   neutron    OpenStack neutron's hybrid firewall: neutron-openvswi-* chains per port,
//              -m physdev, -m set, -m mac, long chain names
// Every -m set name is created by whoever loads the file (bench.mjs, shapes.lab.test.ts).
import { rng, addr, randomName } from './shape-util.mjs';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const cali = (rnd) => `-m comment --comment "cali:${randomName(rnd, 16, B64)}"`;

/** a dotted address from 32 bits */
const ip4 = (x) => `${x >>> 24}.${(x >> 16) & 255}.${(x >> 8) & 255}.${x & 255}`;

function calicoHead(rnd) {
  const f = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    ':cali-INPUT - [0:0]', ':cali-FORWARD - [0:0]', ':cali-OUTPUT - [0:0]', ':cali-from-wl-dispatch - [0:0]', ':cali-to-wl-dispatch - [0:0]',
    ':cali-wl-to-host - [0:0]', ':cali-from-host-endpoint - [0:0]'];
  const r = [`-A INPUT ${cali(rnd)} -j cali-INPUT`, `-A FORWARD ${cali(rnd)} -j cali-FORWARD`, `-A OUTPUT ${cali(rnd)} -j cali-OUTPUT`,
    `-A cali-FORWARD ${cali(rnd)} -j MARK --set-xmark 0x0/0xe0000`, `-A cali-FORWARD ${cali(rnd)} -m mark --mark 0x0/0x10000 -j cali-from-hep-forward`,
    `-A cali-FORWARD -i cali+ ${cali(rnd)} -j cali-from-wl-dispatch`, `-A cali-FORWARD -o cali+ ${cali(rnd)} -j cali-to-wl-dispatch`,
    `-A cali-FORWARD ${cali(rnd)} -m mark --mark 0x10000/0x10000 -j ACCEPT`,
    `-A cali-INPUT -p ipencap ${cali(rnd)} -m comment --comment "Allow IPIP packets from Calico hosts" -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL -j ACCEPT`,
    `-A cali-INPUT -i cali+ ${cali(rnd)} -g cali-wl-to-host`, `-A cali-INPUT ${cali(rnd)} -m mark --mark 0x10000/0x10000 -j ACCEPT`,
    `-A cali-OUTPUT ${cali(rnd)} -m mark --mark 0x10000/0x10000 -j ACCEPT`, `-A cali-OUTPUT -o cali+ ${cali(rnd)} -j RETURN`,
    `-A cali-wl-to-host ${cali(rnd)} -j cali-from-wl-dispatch`, `-A cali-wl-to-host ${cali(rnd)} -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT`];
  f.push(':cali-from-hep-forward - [0:0]');
  return { f, r };
}

/** a workload's two chains (to and from the pod) and its dispatch rules */
function calicoWorkload(rnd, w, policies) {
  const ifc = `cali${randomName(rnd, 11, '0123456789abcdef')}`;
  const tw = `cali-tw-${ifc}`;
  const fw = `cali-fw-${ifc}`;
  const pol = policies[rnd(policies.length)];
  const decl = [`:${tw} - [0:0]`, `:${fw} - [0:0]`];
  const body = (c, dir) => [
    `-A ${c} ${cali(rnd)} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-A ${c} ${cali(rnd)} -m conntrack --ctstate INVALID -j DROP`,
    `-A ${c} ${cali(rnd)} -j MARK --set-xmark 0x0/0x10000`,
    ...(dir === 'fw' ? [`-A ${c} -p udp ${cali(rnd)} -m comment --comment "Drop VXLAN encapped packets originating in workloads" -m multiport --dports 4789 -j DROP`] : []),
    `-A ${c} ${cali(rnd)} -m comment --comment "Start of policies" -j MARK --set-xmark 0x0/0x20000`,
    `-A ${c} ${cali(rnd)} -m mark --mark 0x0/0x20000 -j ${dir === 'tw' ? 'cali-pi' : 'cali-po'}-_${pol}`,
    `-A ${c} ${cali(rnd)} -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
    `-A ${c} ${cali(rnd)} -m comment --comment "Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP`,
    `-A ${c} ${cali(rnd)} -j cali-pri-kns.ns${w % 40}`, `-A ${c} ${cali(rnd)} -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
    `-A ${c} ${cali(rnd)} -m comment --comment "Drop if no profiles matched" -j DROP`];
  const dispatch = [`-A cali-from-wl-dispatch -i ${ifc} ${cali(rnd)} -g ${fw}`, `-A cali-to-wl-dispatch -o ${ifc} ${cali(rnd)} -g ${tw}`];
  return { decl, rules: [...body(tw, 'tw'), ...body(fw, 'fw')], dispatch };
}

/** a network policy's chain: allow from a selector's ipset to some ports, by marking */
function calicoPolicy(rnd, name, dir) {
  const c = `cali-${dir}-_${name}`;
  const set = `cali40s:${randomName(rnd, 22, B64)}`;
  const out = [];
  for (let k = 0, m = 1 + rnd(4); k < m; k++) {
    out.push(`-A ${c} -p tcp ${cali(rnd)} -m comment --comment "Policy ns${rnd(40)}/knp.default.p${rnd(1000)} ${dir === 'pi' ? 'ingress' : 'egress'}" -m set --match-set ${set} ${dir === 'pi' ? 'src' : 'dst'} -m multiport --dports ${1 + rnd(9000)},${9001 + rnd(999)} -j MARK --set-xmark 0x10000/0x10000`);
    out.push(`-A ${c} ${cali(rnd)} -m mark --mark 0x10000/0x10000 -j RETURN`);
  }
  return { decl: `:${c} - [0:0]`, rules: out, set };
}

function calico(n, seed) {
  const rnd = rng(seed);
  const { f, r } = calicoHead(rnd);
  const policies = Array.from({ length: Math.max(4, Math.floor(n / 400)) }, () => randomName(rnd, 19, B64));
  const decl = [];
  const rules = [];
  const tail = [];
  for (const p of policies) {
    for (const dir of ['pi', 'po']) {
      const x = calicoPolicy(rnd, p, dir);
      decl.push(x.decl);
      rules.push(...x.rules);
    }
  }
  for (let ns = 0; ns < 40; ns++) {
    decl.push(`:cali-pri-kns.ns${ns} - [0:0]`);
    rules.push(`-A cali-pri-kns.ns${ns} ${cali(rnd)} -j MARK --set-xmark 0x10000/0x10000`, `-A cali-pri-kns.ns${ns} ${cali(rnd)} -m mark --mark 0x10000/0x10000 -j RETURN`);
  }
  for (let w = 0; f.length + r.length + rules.length + tail.length < n; w++) {
    const x = calicoWorkload(rnd, w, policies);
    decl.push(...x.decl);
    rules.push(...x.rules);
    tail.push(...x.dispatch);
  }
  tail.push(`-A cali-from-wl-dispatch ${cali(rnd)} -m comment --comment "Unknown interface" -j DROP`, `-A cali-to-wl-dispatch ${cali(rnd)} -m comment --comment "Unknown interface" -j DROP`);
  const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':cali-POSTROUTING - [0:0]', ':cali-nat-outgoing - [0:0]',
    `-A POSTROUTING ${cali(rnd)} -j cali-POSTROUTING`, `-A cali-POSTROUTING ${cali(rnd)} -j cali-nat-outgoing`,
    `-A cali-nat-outgoing ${cali(rnd)} -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully`, 'COMMIT'];
  return [...f, ...decl, ...r, ...rules, ...tail, 'COMMIT', ...nat];
}

function ufwHead() {
  const chains = ['ufw-before-input', 'ufw-before-output', 'ufw-before-forward', 'ufw-after-input', 'ufw-after-output', 'ufw-after-forward',
    'ufw-reject-input', 'ufw-track-input', 'ufw-track-output', 'ufw-logging-deny', 'ufw-logging-allow', 'ufw-not-local', 'ufw-skip-to-policy-input',
    'ufw-user-input', 'ufw-user-output', 'ufw-user-forward', 'ufw-user-limit', 'ufw-user-limit-accept', 'ufw-user-logging-input'];
  return ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ...chains.map((c) => `:${c} - [0:0]`),
    '-A INPUT -j ufw-before-input', '-A INPUT -j ufw-after-input', '-A INPUT -j ufw-reject-input', '-A INPUT -j ufw-track-input',
    '-A OUTPUT -j ufw-before-output', '-A OUTPUT -j ufw-after-output', '-A OUTPUT -j ufw-track-output',
    '-A ufw-before-input -i lo -j ACCEPT', '-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A ufw-before-input -m conntrack --ctstate INVALID -j ufw-logging-deny', '-A ufw-before-input -m conntrack --ctstate INVALID -j DROP',
    '-A ufw-before-input -p icmp -m icmp --icmp-type 3 -j ACCEPT', '-A ufw-before-input -p icmp -m icmp --icmp-type 8 -j ACCEPT',
    '-A ufw-before-input -p udp -m udp --sport 67 --dport 68 -j ACCEPT', '-A ufw-before-input -j ufw-not-local',
    '-A ufw-before-input -d 224.0.0.251/32 -p udp -m udp --dport 5353 -j ACCEPT', '-A ufw-before-input -j ufw-user-input',
    '-A ufw-before-output -o lo -j ACCEPT', '-A ufw-before-output -j ufw-user-output',
    '-A ufw-after-input -p udp -m udp --dport 137 -j ufw-skip-to-policy-input', '-A ufw-after-input -m addrtype --dst-type BROADCAST -j ufw-skip-to-policy-input',
    '-A ufw-logging-deny -m conntrack --ctstate INVALID -m limit --limit 3/min --limit-burst 10 -j RETURN',
    '-A ufw-logging-deny -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix "[UFW BLOCK] "',
    '-A ufw-not-local -m addrtype --dst-type LOCAL -j RETURN', '-A ufw-not-local -m addrtype --dst-type MULTICAST -j RETURN', '-A ufw-not-local -j DROP',
    '-A ufw-skip-to-policy-input -j DROP', '-A ufw-track-output -p tcp -m conntrack --ctstate NEW -j ACCEPT',
    '-A ufw-user-limit -m limit --limit 3/min -j LOG --log-prefix "[UFW LIMIT BLOCK] "', '-A ufw-user-limit -j REJECT --reject-with icmp-port-unreachable',
    '-A ufw-user-limit-accept -j ACCEPT'];
}

/** one `ufw` command's rules: allow, deny from, limit (recent pair), logged allow (LOG + ACCEPT) */
function ufwRule(rnd, i) {
  const p = 1 + rnd(65000);
  const src = addr(rnd(2) ? 203 : 198, i);
  switch (rnd(6)) {
    case 0: return [`-A ufw-user-input -p tcp -m tcp --dport ${p} -j ACCEPT`, `-A ufw-user-input -p udp -m udp --dport ${p} -j ACCEPT`];
    case 1: return [`-A ufw-user-input -s ${src}/32 -j DROP`];
    case 2: return [`-A ufw-user-input -s ${src.replace(/\.\d+$/, '.0')}/24 -p tcp -m tcp --dport ${p} -m comment --comment "'dapp_App${i % 50}'" -j ACCEPT`];
    case 3: return [`-A ufw-user-input -p tcp -m tcp --dport ${p} -m conntrack --ctstate NEW -m recent --set --name DEFAULT --mask 255.255.255.255 --rsource`,
      `-A ufw-user-input -p tcp -m tcp --dport ${p} -m conntrack --ctstate NEW -m recent --update --seconds 30 --hitcount 6 --name DEFAULT --mask 255.255.255.255 --rsource -j ufw-user-limit`,
      `-A ufw-user-input -p tcp -m tcp --dport ${p} -j ufw-user-limit-accept`];
    case 4: return [`-A ufw-user-logging-input -s ${src}/32 -p tcp -m tcp --dport ${p} -m conntrack --ctstate NEW -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix "[UFW ALLOW] "`,
      `-A ufw-user-input -s ${src}/32 -p tcp -m tcp --dport ${p} -j ACCEPT`];
    default: return [`-A ufw-user-input -p udp -m multiport --dports ${p},${p + 7}:${p + 8 + rnd(100)} -j ACCEPT`];
  }
}

function ufw(n, seed) {
  const rnd = rng(seed);
  const out = ufwHead();
  for (let i = 0; out.length < n; i++) out.push(...ufwRule(rnd, i));
  out.push('-A ufw-user-input -j RETURN', 'COMMIT');
  return out;
}

const ZONE_PARTS = ['log', 'deny', 'allow'];

/** a zone's chain skeleton in one of firewalld's tables */
function fwdZone(zone, kinds) {
  const decl = [];
  const rules = [];
  for (const kind of kinds) {
    decl.push(`:${kind}_${zone} - [0:0]`, ...ZONE_PARTS.map((p) => `:${kind}_${zone}_${p} - [0:0]`));
    rules.push(...ZONE_PARTS.map((p) => `-A ${kind}_${zone} -j ${kind}_${zone}_${p}`));
  }
  return { decl, rules };
}

/** a rich rule of a zone: a source may use a port, or be logged, or be rejected */
function richRule(rnd, zone, i) {
  const len = [24, 26, 28, 32][rnd(4)];
  const src = `${rnd(2) ? 10 : 172}.${(i >> 8) & 255}.${i & 255}.${len > 24 ? 64 * rnd(4) : 0}/${len}`;
  const p = 1 + rnd(65535);
  const k = rnd(6);
  if (k < 3) return `-A IN_${zone}_allow -s ${src} -p tcp -m tcp --dport ${p} -m conntrack --ctstate NEW,UNTRACKED -j ACCEPT`;
  if (k === 3) return `-A IN_${zone}_log -s ${src} -p tcp -m tcp --dport ${p} -m conntrack --ctstate NEW,UNTRACKED -m limit --limit 1/min -j LOG --log-prefix "${zone}-${p} " --log-level 4`;
  if (k === 4) return `-A IN_${zone}_deny -s ${src} -j REJECT --reject-with icmp-port-unreachable`;
  return `-A FWDI_${zone}_allow -d ${src} -p udp -m udp --dport ${p} -m conntrack --ctstate NEW,UNTRACKED -j ACCEPT`;
}

function firewalld(n, seed) {
  const rnd = rng(seed);
  const zones = ['public', 'trusted', 'internal', 'dmz', 'work', 'home', ...Array.from({ length: 20 }, (_, k) => `cust${k}`)];
  const top = ['INPUT_direct', 'INPUT_ZONES_SOURCE', 'INPUT_ZONES', 'FORWARD_direct', 'FORWARD_IN_ZONES_SOURCE', 'FORWARD_IN_ZONES', 'FORWARD_OUT_ZONES_SOURCE', 'FORWARD_OUT_ZONES', 'OUTPUT_direct'];
  const decl = top.map((c) => `:${c} - [0:0]`);
  const rules = ['-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -i lo -j ACCEPT', '-A INPUT -j INPUT_direct',
    '-A INPUT -j INPUT_ZONES_SOURCE', '-A INPUT -j INPUT_ZONES', '-A INPUT -m conntrack --ctstate INVALID -j DROP', '-A INPUT -j REJECT --reject-with icmp-host-prohibited',
    '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A FORWARD -i lo -j ACCEPT', '-A FORWARD -j FORWARD_direct',
    '-A FORWARD -j FORWARD_IN_ZONES_SOURCE', '-A FORWARD -j FORWARD_IN_ZONES', '-A FORWARD -j FORWARD_OUT_ZONES_SOURCE', '-A FORWARD -j FORWARD_OUT_ZONES',
    '-A FORWARD -m conntrack --ctstate INVALID -j DROP', '-A FORWARD -j REJECT --reject-with icmp-host-prohibited', '-A OUTPUT -o lo -j ACCEPT', '-A OUTPUT -j OUTPUT_direct'];
  zones.forEach((z, k) => {
    const x = fwdZone(z, ['IN', 'FWDI', 'FWDO']);
    decl.push(...x.decl);
    rules.push(...x.rules, `-A INPUT_ZONES -i eth${k} -g IN_${z}`, `-A FORWARD_IN_ZONES -i eth${k} -g FWDI_${z}`, `-A FORWARD_OUT_ZONES -o eth${k} -g FWDO_${z}`,
      `-A INPUT_ZONES_SOURCE -s 10.${k}.0.0/16 -g IN_${z}`, `-A IN_${z} -p icmp -j ACCEPT`,
      `-A IN_${z}_allow -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW,UNTRACKED -j ACCEPT`);
  });
  rules.push('-A INPUT_ZONES -g IN_public', '-A FORWARD_IN_ZONES -g FWDI_public', '-A FORWARD_OUT_ZONES -g FWDO_public');
  for (let i = 0; decl.length + rules.length < n; i++) rules.push(richRule(rnd, zones[i % 7 < 4 ? 0 : rnd(zones.length)], i));
  return ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...decl, ...rules, 'COMMIT'];
}

function csfHead() {
  const chains = ['ALLOWIN', 'ALLOWOUT', 'DENYIN', 'DENYOUT', 'CC_DENY', 'CC_ALLOW', 'INVALID', 'INVDROP', 'LOCALINPUT', 'LOCALOUTPUT', 'LOGDROPIN', 'LOGDROPOUT', 'SYNFLOOD', 'PORTFLOOD'];
  return ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT DROP [0:0]', ...chains.map((c) => `:${c} - [0:0]`),
    '-A INPUT -s 8.8.8.8/32 -p tcp -m tcp --sport 53 -j ACCEPT', '-A INPUT -j LOCALINPUT', '-A INPUT ! -i lo -j INVALID', '-A INPUT -i lo -j ACCEPT',
    '-A INPUT ! -i lo -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT ! -i lo -p tcp -m tcp --dport 80 --tcp-flags FIN,SYN,RST,ACK SYN -j SYNFLOOD',
    ...[20, 21, 22, 25, 53, 80, 110, 143, 443, 465, 587, 993, 995, 2077, 2078, 2082, 2083, 2086, 2087, 2095, 2096].map((p) => `-A INPUT ! -i lo -p tcp -m conntrack --ctstate NEW -m tcp --dport ${p} -j ACCEPT`),
    '-A INPUT ! -i lo -p icmp -m icmp --icmp-type 8 -m limit --limit 1/sec -j ACCEPT', '-A INPUT ! -i lo -j LOGDROPIN',
    '-A OUTPUT -j LOCALOUTPUT', '-A OUTPUT -o lo -j ACCEPT', '-A OUTPUT ! -o lo -m conntrack --ctstate NEW,RELATED,ESTABLISHED -j ACCEPT', '-A OUTPUT ! -o lo -j LOGDROPOUT',
    '-A LOCALINPUT ! -i lo -j ALLOWIN', '-A LOCALINPUT ! -i lo -j DENYIN', '-A LOCALINPUT ! -i lo -j CC_ALLOW', '-A LOCALINPUT ! -i lo -j CC_DENY',
    '-A LOCALOUTPUT ! -o lo -j ALLOWOUT', '-A LOCALOUTPUT ! -o lo -j DENYOUT',
    '-A INVALID -m conntrack --ctstate INVALID -j INVDROP', '-A INVALID -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j INVDROP', '-A INVDROP -j DROP',
    '-A LOGDROPIN -p tcp -m limit --limit 30/min -j LOG --log-prefix "Firewall: *TCP_IN Blocked* "', '-A LOGDROPIN -j DROP',
    '-A LOGDROPOUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m limit --limit 30/min -j LOG --log-prefix "Firewall: *TCP_OUT Blocked* " --log-uid', '-A LOGDROPOUT -j DROP',
    '-A SYNFLOOD -m limit --limit 100/sec --limit-burst 150 -j RETURN', '-A SYNFLOOD -m limit --limit 30/min -j LOG --log-prefix "Firewall: *SYNFLOOD Blocked* "', '-A SYNFLOOD -j DROP'];
}

/**
 * Country blocks as csf's CC_DENY writes them: networks of every prefix length
 * (mostly /22 to /24, a few up to /13), each aligned, none overlapping, in
 * address order: `cursor` is where the next one may start.
 */
function ccNets(rnd) {
  let cursor = 0x01000000;
  return () => {
    const len = 24 - Math.min(rnd(12), rnd(12));
    const size = 2 ** (32 - len);
    let net = Math.ceil((cursor + rnd(4) * size) / size) * size;
    if (net + size > 0xe0000000) net = 0x01000000; // past unicast space (only beyond the bench's sizes): start again
    cursor = net + size;
    return `${ip4(net)}/${len}`;
  };
}

/** csf.deny / csf.allow / CC_DENY lines: deny in and out, allow in and out, ranges, country networks */
function csfRule(rnd, i, cc) {
  const a = addr(rnd(2) ? 5 : 77, i);
  const k = rnd(20);
  if (k < 6) return [`-A DENYIN -s ${a}/32 ! -i lo -j DROP`, `-A DENYOUT -d ${a}/32 ! -o lo -j LOGDROPOUT`];
  if (k < 8) return [`-A ALLOWIN -s ${a}/32 ! -i lo -j ACCEPT`, `-A ALLOWOUT -d ${a}/32 ! -o lo -j ACCEPT`];
  if (k < 9) return [`-A ALLOWIN -s ${a}/32 ! -i lo -p tcp -m tcp --dport ${[22, 3306, 2087, 8443][rnd(4)]} -j ACCEPT`];
  if (k < 10) return [`-A DENYIN ! -i lo -m iprange --src-range ${addr(31, i * 16)}-${addr(31, i * 16 + 1 + rnd(15))} -j DROP`];
  return [`-A CC_DENY -s ${cc()} -j DROP`];
}

function csf(n, seed) {
  const rnd = rng(seed);
  const out = csfHead();
  const cc = ccNets(rnd);
  for (let i = 0; out.length < n; i++) out.push(...csfRule(rnd, i, cc));
  out.push('COMMIT');
  return out;
}

/** the chains of one neutron port (a VM's interface on a security group) */
function neutronPort(rnd, i, sets) {
  const id = randomName(rnd, 10, '0123456789abcdef');
  const tap = `tap${id.slice(0, 8)}-${id.slice(8)}`;
  const [ich, och, sch] = ['i', 'o', 's'].map((d) => `neutron-openvswi-${d}${id.slice(0, 8)}-${id[8]}`);
  const ip = `10.${(i >> 14) & 255}.${(i >> 6) & 255}.${4 + (i & 63)}`;
  const mac = `FA:16:3E:${[0, 0, 0].map(() => rnd(256).toString(16).toUpperCase().padStart(2, '0')).join(':')}`;
  const set = sets[rnd(sets.length)];
  const physOut = `-m physdev --physdev-out ${tap} --physdev-is-bridged`;
  const physIn = `-m physdev --physdev-in ${tap} --physdev-is-bridged`;
  const decl = [`:${ich} - [0:0]`, `:${och} - [0:0]`, `:${sch} - [0:0]`];
  const fwd = [`-A neutron-openvswi-FORWARD ${physOut} -m comment --comment "Direct traffic from the VM interface to the security group chain." -j neutron-openvswi-sg-chain`,
    `-A neutron-openvswi-FORWARD ${physIn} -m comment --comment "Direct traffic from the VM interface to the security group chain." -j neutron-openvswi-sg-chain`,
    `-A neutron-openvswi-INPUT ${physIn} -m comment --comment "Direct incoming traffic from VM to the security group chain." -j ${och}`,
    `-A neutron-openvswi-sg-chain ${physOut} -m comment --comment "Jump to the VM specific chain." -j ${ich}`,
    `-A neutron-openvswi-sg-chain ${physIn} -m comment --comment "Jump to the VM specific chain." -j ${och}`];
  const rules = [`-A ${ich} -m state --state RELATED,ESTABLISHED -m comment --comment "Direct packets associated with a known session to the RETURN chain." -j RETURN`,
    `-A ${ich} -d ${ip}/32 -p udp -m udp --sport 67 --dport 68 -j RETURN`, `-A ${ich} -d 255.255.255.255/32 -p udp -m udp --sport 67 --dport 68 -j RETURN`,
    ...Array.from({ length: 1 + rnd(4) }, () => `-A ${ich} -p tcp -m tcp --dport ${[22, 80, 443, 3306, 5432, 8080][rnd(6)]} -j RETURN`),
    `-A ${ich} -p icmp -j RETURN`, `-A ${ich} -m set --match-set ${set} src -j RETURN`,
    `-A ${ich} -m state --state INVALID -m comment --comment "Drop packets that appear related to an existing connection (e.g. TCP ACK/FIN) but do not have an entry in conntrack." -j DROP`,
    `-A ${ich} -m comment --comment "Send unmatched traffic to the fallback chain." -j neutron-openvswi-sg-fallback`,
    `-A ${och} -s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -m comment --comment "Allow DHCP client traffic." -j RETURN`,
    `-A ${och} -j ${sch}`, `-A ${och} -p udp -m udp --sport 68 --dport 67 -m comment --comment "Allow DHCP client traffic." -j RETURN`,
    `-A ${och} -p udp -m udp --sport 67 --dport 68 -m comment --comment "Prevent DHCP Spoofing by VM." -j DROP`,
    `-A ${och} -m state --state RELATED,ESTABLISHED -m comment --comment "Direct packets associated with a known session to the RETURN chain." -j RETURN`,
    `-A ${och} -j RETURN`, `-A ${och} -m state --state INVALID -j DROP`, `-A ${och} -m comment --comment "Send unmatched traffic to the fallback chain." -j neutron-openvswi-sg-fallback`,
    `-A ${sch} -s ${ip}/32 -m mac --mac-source ${mac} -m comment --comment "Allow traffic from defined IP/MAC pairs." -j RETURN`,
    `-A ${sch} -m comment --comment "Drop traffic without an IP/MAC allow rule." -j DROP`];
  const raw = [`-A neutron-openvswi-PREROUTING -m physdev --physdev-in ${tap} -m comment --comment "Set zone for ${id.slice(0, 8)}-${id.slice(8)}" -j CT --zone ${4097 + (i % 60000)}`];
  return { decl, fwd, rules, raw };
}

function neutron(n, seed) {
  const rnd = rng(seed);
  const sets = Array.from({ length: 50 }, () => `NIPv4${randomName(rnd, 8, '0123456789abcdef')}-${randomName(rnd, 4, '0123456789abcdef')}-${randomName(rnd, 4, '0123456789abcdef')}-${randomName(rnd, 1, '0123456789abcdef')}`);
  const top = ['neutron-filter-top', 'neutron-openvswi-FORWARD', 'neutron-openvswi-INPUT', 'neutron-openvswi-OUTPUT', 'neutron-openvswi-local', 'neutron-openvswi-sg-chain', 'neutron-openvswi-sg-fallback'];
  const decl = top.map((c) => `:${c} - [0:0]`);
  const head = ['-A INPUT -j neutron-openvswi-INPUT', '-A FORWARD -j neutron-filter-top', '-A FORWARD -j neutron-openvswi-FORWARD', '-A OUTPUT -j neutron-filter-top',
    '-A OUTPUT -j neutron-openvswi-OUTPUT', '-A neutron-filter-top -j neutron-openvswi-local'];
  const fwd = [];
  const rules = [];
  const raw = [];
  for (let i = 0; head.length + fwd.length + rules.length + raw.length < n; i++) {
    const x = neutronPort(rnd, i, sets);
    decl.push(...x.decl);
    fwd.push(...x.fwd);
    rules.push(...x.rules);
    raw.push(...x.raw);
  }
  const sg = fwd.filter((l) => l.startsWith('-A neutron-openvswi-sg-chain'));
  const filter = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...decl, ...head,
    ...fwd.filter((l) => !l.startsWith('-A neutron-openvswi-sg-chain')), ...rules, ...sg, '-A neutron-openvswi-sg-chain -j ACCEPT',
    '-A neutron-openvswi-sg-fallback -m comment --comment "Default drop rule for unmatched traffic." -j DROP', 'COMMIT'];
  return [...filter, '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':neutron-openvswi-PREROUTING - [0:0]',
    '-A PREROUTING -j neutron-openvswi-PREROUTING', ...raw, 'COMMIT'];
}

export const TOOL_SHAPES = { calico, ufw, firewalld, csf, neutron };
