// Host facts: what a CentOS 7 server runs and how it is set up, as far as it
// matters for changing its firewall safely. Defined here, in the contract, as
// they cross the bridge unchanged: host/facts.ts gathers them, the renderer
// shows them.

/** how a session gets root: as root, sudo without or with a password, or not at all */
export type PrivilegeName = 'root' | 'sudo-nopasswd' | 'sudo-password' | 'none';

/** whether sudo works without a password, as the session probe found (only asked when not root) */
export type SudoState = 'absent' | 'nopasswd' | 'needs-password' | 'not-tried';

export interface UnitFacts {
  /** `systemctl is-active` word (active, inactive, failed, unknown) or null without systemctl */
  active: string | null;
  /** `systemctl is-enabled` word (enabled, disabled, masked, static) or null when the unit does not exist */
  enabled: string | null;
}

export interface FileFacts {
  /** null: could not tell (no privilege) */
  present: boolean | null;
  mode?: string;
  owner?: string;
  size?: number;
}

export type FirewalldState = 'active' | 'inactive' | 'masked' | 'absent';
export type SelinuxMode = 'enforcing' | 'permissive' | 'disabled' | 'absent';

export interface HostAddress {
  address: string;
  prefix: number;
  iface: string;
  /** global, link, site, host */
  scope: string;
}

export interface HostFacts {
  host: string;
  hostname?: string;
  user: string;
  os: { id?: string; versionId?: string; prettyName?: string; release?: string; kernel?: string; centos7: boolean };
  iptables: {
    present: boolean;
    version?: string;
    backend: 'legacy' | 'nft' | 'unknown';
    /** iptables-restore has --test */
    restoreTest: boolean;
    /** iptables-restore has --wait (CentOS >= 7.4) */
    restoreWait: boolean;
    path?: string;
    package?: string;
  };
  ip6tables: { present: boolean; version?: string; saveTool: boolean };
  iptablesServices: { installed: boolean | null; package?: string; iptables: UnitFacts; ip6tables: UnitFacts };
  firewalld: FirewalldState;
  firewalldUnit: UnitFacts & { state?: string };
  iptablesConfig: {
    present: boolean | null;
    readable: boolean;
    saveOnStop?: boolean;
    saveOnRestart?: boolean;
    saveCounter?: boolean;
    modules?: string;
    restoreWait?: number;
    values: Record<string, string>;
  };
  files: { iptables: FileFacts; ip6tables: FileFacts };
  selinux: { mode: SelinuxMode; fileContext?: string };
  ipForward: { ipv4: boolean | null; ipv6: boolean | null };
  ipset: { present: boolean; version?: string };
  loadedTables: { ipv4: string[] | null; ipv6: string[] | null };
  /** the host's own addresses (`ip -o addr`), loopback left out; null when `ip` is missing */
  addresses?: { ipv4: HostAddress[]; ipv6: HostAddress[] } | null;
  tools: { systemdRun: boolean; setsid: boolean; nohup: boolean; restorecon: boolean; flock: boolean };
  privilege: PrivilegeName;
  privilegeDetail?: string;
  sudo: SudoState;
  clientAddress?: string;
  serverAddress?: string;
  hostKey?: { keyType: string; fingerprint: string };
  warnings: string[];
}
