// Host facts as they cross the bridge: the same shape as host/facts.ts's
// HostFacts (main passes that object; the type checker holds the two together
// through the assignment in services/host-workbench.ts).

export interface UnitFactsDto {
  active: string | null;
  enabled: string | null;
}

export interface FileFactsDto {
  present: boolean | null;
  mode?: string;
  owner?: string;
  size?: number;
}

export interface HostFactsDto {
  host: string;
  hostname?: string;
  user: string;
  os: { id?: string; versionId?: string; prettyName?: string; release?: string; kernel?: string; centos7: boolean };
  iptables: { present: boolean; version?: string; backend: 'legacy' | 'nft' | 'unknown'; restoreTest: boolean; restoreWait: boolean; path?: string; package?: string };
  ip6tables: { present: boolean; version?: string; saveTool: boolean };
  iptablesServices: { installed: boolean | null; package?: string; iptables: UnitFactsDto; ip6tables: UnitFactsDto };
  firewalld: 'active' | 'inactive' | 'masked' | 'absent';
  firewalldUnit: UnitFactsDto & { state?: string };
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
  files: { iptables: FileFactsDto; ip6tables: FileFactsDto };
  selinux: { mode: 'enforcing' | 'permissive' | 'disabled' | 'absent'; fileContext?: string };
  ipForward: { ipv4: boolean | null; ipv6: boolean | null };
  ipset: { present: boolean; version?: string };
  loadedTables: { ipv4: string[] | null; ipv6: string[] | null };
  tools: { systemdRun: boolean; setsid: boolean; nohup: boolean; restorecon: boolean; flock: boolean };
  privilege: string;
  privilegeDetail?: string;
  sudo: 'absent' | 'nopasswd' | 'needs-password' | 'not-tried';
  clientAddress?: string;
  serverAddress?: string;
  hostKey?: { keyType: string; fingerprint: string };
  warnings: string[];
}
