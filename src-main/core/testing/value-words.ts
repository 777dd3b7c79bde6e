// Values for the options whose words LineTemplates swaps (line-templates.ts,
// slot-values.ts), for the differential tests: plain ones and every form the
// slot readers leave to the full parser (leading zeros, hex, service names,
// ranges in both orders, the full port range, default and zero bursts, rates
// too fast, units in any case, NAT targets with and without ports, brackets).
import { makeRandom } from './random-ruleset.js';
import { pick } from './template-rulesets.js';

const PORTS = [
  '0', '1', '22', '80', '443', '1024', '65535', '65536', '99999', '080', '0x50', '00', 'ssh', 'http', 'domain', 'nosuchservice',
  '1:2', '2:1', '5:5', '0:65535', '0:1', '1:65535', ':80', '80:', '10:0x20', '010:20', '-1', '1.5', '',
];
const RATES = [
  '5/s', '5/sec', '5/second', '5/SEC', '5/Sec', '5/m', '5/min', '5/minute', '3/h', '3/hour', '1/d', '1/day', '10000/s', '10001/s',
  '0/s', '5', '05/s', '5x/s', '/s', '5/', '5/foo', '-5/s', '4294967297/s', '7/sec', '31/sec', '60/min', '3600/hour', '1/s', '2/minute',
  '13/hour', '7/day', '86400/day', '99/min', '+5/s', ' 5/s',
];
const BURSTS = ['1', '2', '4', '5', '6', '7', '10', '100', '9999', '10000', '10001', '0', '05', '0x5', '-1', '1e3'];
const NATS = [
  '198.18.0.1', '198.18.0.1:80', '198.18.0.1:0', '198.18.0.1:65535', '198.18.0.1:65536', '198.18.01.1', '198.18.0.1-198.18.0.9',
  '198.18.0.1:80-90', '198.18.0.1:90-80', '198.18.0.1:80-90/85', '[198.18.0.1]:80', '198.18.0:80', ':80', '256.1.1.1', '198.18.0.1:http',
  '198.18.0.1:', '0.0.0.0:8080', '198.18.0.1:080', 'ab:80', '198.18.0.1:1:2',
];
const RANGES = [
  '198.18.0.1-198.18.0.9', '198.18.0.9-198.18.0.1', '198.18.0.1-198.18.0.1', '198.18.0.1', '198.18.00.1-198.18.0.2', '198.18.0.1-',
  '-198.18.0.1', '198.18.0.1-198.18.0.2-198.18.0.3', '0.0.0.0-255.255.255.255', '198.18.0-198.18.1', '1.2.3.4/24-1.2.3.5',
];

function randomPlain(rnd: () => number, option: string): string {
  const n = (max: number) => Math.floor(rnd() * (max + 1));
  const ip = () => `${n(255)}.${n(255)}.${n(255)}.${n(255)}`;
  switch (option) {
    case '--dport':
    case '--sport':
      return rnd() < 0.2 ? `${n(30000)}:${30001 + n(35534)}` : `${n(65535)}`;
    case '--limit':
      return `${1 + n(rnd() < 0.5 ? 100 : 100000)}/${pick(rnd, ['s', 'sec', 'second', 'm', 'min', 'minute', 'h', 'hour', 'd', 'day'])}`;
    case '--limit-burst':
      return `${n(10000)}`;
    case '--to-destination':
    case '--to-source':
      return rnd() < 0.5 ? ip() : `${ip()}:${n(65535)}`;
    default:
      return `${ip()}-${ip()}`;
  }
}

const EDGE: Record<string, readonly string[]> = {
  '--dport': PORTS, '--sport': PORTS, '--limit': RATES, '--limit-burst': BURSTS, '--to-destination': NATS, '--to-source': NATS,
  '--src-range': RANGES, '--dst-range': RANGES,
};

/** A value for `option`: an edge case one time in `edge`, else a random plain one. */
export function valueFor(rnd: () => number, option: string, edge = 4): string {
  const list = EDGE[option];
  if (Math.floor(rnd() * edge) === 0) return pick(rnd, list).trim() || '1';
  return randomPlain(rnd, option);
}

/**
 * The line with every value word of VALUE_OPTIONS (the word after one of them)
 * replaced by valueFor, in a line split at spaces; null when it has none.
 */
export function withValues(line: string, rnd: () => number, edge = 4): string | null {
  const words = line.split(' ');
  let swapped = false;
  for (let k = 0; k + 1 < words.length; k++) {
    if (EDGE[words[k]] && words[k + 1] !== '' && words[k + 1] !== '!' && !words[k + 1].startsWith('-') && !words[k + 1].startsWith('"')) {
      words[k + 1] = valueFor(rnd, words[k], edge);
      swapped = true;
    }
  }
  return swapped ? words.join(' ') : null;
}

export { makeRandom };
