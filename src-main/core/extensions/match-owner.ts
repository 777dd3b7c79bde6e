// -m owner (libxt_owner, revision 1): the local socket's user, group, or its existence.
import type { Hook } from '../model.js';
import { ValueError, strtoulPrefix } from '../values.js';
import type { MatchExtension, ParseContext } from './types.js';

/**
 * A user or group as the rule gives it. iptables resolves names with the host's
 * passwd/group database while parsing, so an offline parser keeps the name
 * (only `root`, which is 0 everywhere, is turned into its number).
 */
type OwnerId = { kind: 'range'; min: number; max: number } | { kind: 'name'; name: string };

interface OwnerCondition {
  id: OwnerId;
  invert: boolean;
}

interface OwnerMatch {
  socketExists: { invert: boolean } | null;
  uid: OwnerCondition | null;
  gid: OwnerCondition | null;
  /** --suppl-groups: the gid also matches supplementary groups */
  supplGroups: boolean;
}

// uid_t -1 is reserved, so the largest id is one less (owner_parse_range).
const ID_MAX = 0xfffffffe;
// What getpwnam/getgrnam could find: the shadow-utils name rules, loosely.
const NAME_RE = /^[A-Za-z_][A-Za-z0-9._-]*\$?$/;

function parseOwnerId(opt: string, s: string, ctx: ParseContext): OwnerId {
  if (s === 'root') return { kind: 'range', min: 0, max: 0 };
  const bad = () => new ValueError(`owner: Bad value for "--${opt}" option: "${s}"`, 'invalid-argument',
    `give a ${opt === 'uid-owner' ? 'user' : 'group'} name, a number or a range like 1000-1999`);
  const a = strtoulPrefix(s, ID_MAX);
  if (a) {
    let max = a.value;
    let end = a.end;
    if (s[end] === '-' || s[end] === ':') {
      const b = strtoulPrefix(s.slice(end + 1), ID_MAX);
      if (!b) throw bad();
      max = b.value;
      end += 1 + b.end;
    }
    if (end !== s.length) throw bad();
    return { kind: 'range', min: a.value, max };
  }
  if (NAME_RE.test(s) && s.length <= 32) {
    const what = opt === 'uid-owner' ? 'user' : 'group';
    ctx.warn?.('host-dependent', `${what} \`${s}' is looked up on the host when the rules load; if it does not exist there, the whole ruleset fails to load`,
      `use the numeric ${what === 'user' ? 'uid' : 'gid'}`);
    return { kind: 'name', name: s };
  }
  throw bad();
}

function saveId(id: OwnerId): string {
  if (id.kind === 'name') return ' ' + id.name;
  return id.min === id.max ? ` ${id.min}` : ` ${id.min}-${id.max}`;
}

const OWNER_HOOKS: ReadonlySet<Hook> = new Set<Hook>(['OUTPUT', 'POSTROUTING']);

export const owner: MatchExtension<OwnerMatch> = {
  kind: 'match',
  name: 'owner',
  options: [
    { name: 'uid-owner', arg: 'required', invert: true, parse: ([v], ctx) => parseOwnerId('uid-owner', v, ctx) },
    { name: 'gid-owner', arg: 'required', invert: true, parse: ([v], ctx) => parseOwnerId('gid-owner', v, ctx) },
    { name: 'socket-exists', arg: 'none', invert: true },
    // iptables checks at parse time that --gid-owner came first; finalize walks the options in order
    { name: 'suppl-groups', arg: 'none' },
  ],
  finalize(options) {
    const s: OwnerMatch = { socketExists: null, uid: null, gid: null, supplGroups: false };
    for (const o of options) {
      switch (o.name) {
        case 'uid-owner': s.uid = { id: o.value as OwnerId, invert: o.invert }; break;
        case 'gid-owner': s.gid = { id: o.value as OwnerId, invert: o.invert }; break;
        case 'socket-exists': s.socketExists = { invert: o.invert }; break;
        default:
          if (!s.gid) throw new ValueError('owner: Bad value for "--suppl-groups" option: "you need to use --gid-owner first"',
            'invalid-argument', 'put --gid-owner GROUP before --suppl-groups');
          s.supplGroups = true;
      }
    }
    if (!s.uid && !s.gid && !s.socketExists)
      throw new ValueError('owner: At least one of --uid-owner, --gid-owner or --socket-exists is required', 'missing-argument');
    return s;
  },
  kernelCheck(state, _rule, { hooks }) {
    const s = state;
    for (const h of hooks) {
      if (!OWNER_HOOKS.has(h))
        return `-m owner only works for locally generated packets (OUTPUT and POSTROUTING), not in ${h}`;
    }
    for (const [what, c] of [['uid', s.uid], ['gid', s.gid]] as const) {
      if (c && c.id.kind === 'range' && c.id.min > c.id.max)
        return `owner: the ${what} range ${c.id.min}-${c.id.max} is reversed; the kernel refuses it`;
    }
    return null;
  },
  save(m) {
    const s = m.state;
    let out = '';
    if (s.socketExists) out += s.socketExists.invert ? ' ! --socket-exists' : ' --socket-exists';
    if (s.uid) out += (s.uid.invert ? ' ! --uid-owner' : ' --uid-owner') + saveId(s.uid.id);
    if (s.gid) out += (s.gid.invert ? ' ! --gid-owner' : ' --gid-owner') + saveId(s.gid.id);
    if (s.supplGroups) out += ' --suppl-groups';
    return out;
  },
};
