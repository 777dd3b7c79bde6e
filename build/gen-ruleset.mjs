// Generates a large, realistic ruleset (iptables-save format) for benchmarks:
// node build/gen-ruleset.mjs N [SEED] > file. The mix resembles real files:
// per-address accepts, port rules, conntrack, comments, user chains, LOG.
export function generateRuleset(n, seed = 1) {
  let s = seed >>> 0 || 1;
  const rnd = (k) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % k;
  };
  const ip = () => `10.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
  const chains = ['INPUT', 'FORWARD', 'OUTPUT', 'svc-web', 'svc-db', 'blocklist'];
  const lines = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':blocklist - [0:0]', ':svc-db - [0:0]', ':svc-web - [0:0]'];
  lines.push('-A INPUT -i lo -j ACCEPT', '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -j blocklist');
  const kinds = [
    () => `-A blocklist -s ${ip()}/32 -j DROP`,
    () => `-A ${chains[rnd(3)]} -s ${ip()}/${16 + rnd(17)} -p tcp -m tcp --dport ${1 + rnd(65535)} -j ACCEPT`,
    () => `-A svc-web -p tcp -m multiport --dports 80,443,${8000 + rnd(1000)} -m conntrack --ctstate NEW -j ACCEPT`,
    () => `-A svc-db -s ${ip()}/24 -p tcp -m tcp --dport 5432 -m comment --comment "db client ${rnd(10000)}" -j ACCEPT`,
    () => `-A INPUT -p udp -m udp --sport ${1024 + rnd(60000)} --dport 53 -j ACCEPT`,
    () => `-A FORWARD -i eth${rnd(4)} -o eth${rnd(4)} -d ${ip()}/32 -j ACCEPT`,
    () => `-A INPUT -p icmp -m icmp --icmp-type ${rnd(2) ? 8 : 0} -j ACCEPT`,
  ];
  for (let i = lines.length; lines.length < n + 7; i++) lines.push(kinds[rnd(kinds.length)]());
  lines.push('-A INPUT -p tcp -m tcp --dport 80 -j svc-web', '-A INPUT -p tcp -m tcp --dport 5432 -j svc-db', 'COMMIT');
  return lines.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(generateRuleset(Number(process.argv[2] ?? 100000), Number(process.argv[3] ?? 1)));
}
