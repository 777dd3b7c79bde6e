// The lab's catalogue of hosts. Each entry is one kind of server the product must
// handle; tests ask for the subset they need.
import type { UnitState } from './fixtures.js';

export interface LabUserSpec {
  name: string;
  /** login and sudo password; absent = no password (key only) */
  password?: string;
  sudo: 'nopasswd' | 'password' | 'none';
  /** how sshd lets this user in */
  login: 'key' | 'password' | 'keyboard-interactive' | 'any';
  /** a .bashrc that prints on every command, as some admins' do */
  chattyBashrc?: boolean;
}

export interface LabHostSpec {
  name: string;
  /** 'systemd': a container with systemd as PID 1 (systemd-host.ts); default: sshd alone in a namespace */
  kind?: 'namespace' | 'systemd';
  /** reachable only from this host (no link to the root namespace) */
  behind?: string;
  users: LabUserSpec[];
  pam: boolean;
  units: Record<string, UnitState>;
  /** rpm -q answers */
  packages: Record<string, string>;
  firewallCmd?: 'running' | 'not-running';
  /** /etc/sysconfig/iptables: 'stock' = the corpus' CentOS 7 stock file, a path, or null for none */
  seed: 'stock' | string | null;
  seed6: 'stock' | string | null;
  /** rules loaded into the running kernel table at boot; default: the seed, as iptables.service does */
  live?: 'seed' | 'firewalld' | 'none';
  iptablesConfig: Record<string, string>;
  /** /etc/sysconfig/ip6tables-config values (IP6TABLES_…), default the stock file */
  ip6tablesConfig?: Record<string, string>;
  ipForward?: boolean;
  /** sudoers lines after the per-user rules */
  sudoersExtra?: string[];
  /** sshd_config lines before the Match blocks (e.g. LoginGraceTime) */
  sshdExtra?: string[];
  /** started only when a test names it, not in the whole lab: hosts for one test file (fewer sshds in every other lab on a loaded machine) */
  onDemand?: boolean;
}

const IPTABLES_PKGS = {
  iptables: 'iptables-1.4.21-35.el7.x86_64',
  'iptables-services': 'iptables-services-1.4.21-35.el7.x86_64',
  'openssh-server': 'openssh-server-7.4p1-21.el7.x86_64',
  sudo: 'sudo-1.8.23-10.el7_9.3.x86_64',
};
const SERVICES_ON: Record<string, UnitState> = {
  iptables: { active: 'active', enabled: 'enabled' },
  ip6tables: { active: 'active', enabled: 'enabled' },
  firewalld: { active: 'inactive', enabled: 'masked' },
};

export const LAB_PASSWORDS = {
  bob: 'bob-lab-Passw0rd',
  dave: 'dave-lab-Passw0rd',
  erin: 'erin-lab-Passw0rd',
  frank: 'frank-lab-Passw0rd',
  gina: 'gina-gateway-Passw0rd',
  hank: 'hank-inner-Passw0rd',
  ivy: 'ivy-slow-typist-Passw0rd',
} as const;

export const CATALOGUE: LabHostSpec[] = [
  {
    // root logs in with a key; iptables-services in charge, firewalld masked (the documented CentOS switch)
    name: 'plain',
    users: [],
    pam: false,
    units: SERVICES_ON,
    packages: IPTABLES_PKGS,
    seed: 'stock',
    seed6: 'stock',
    iptablesConfig: {},
  },
  {
    name: 'bastion',
    users: [],
    pam: false,
    units: SERVICES_ON,
    packages: IPTABLES_PKGS,
    seed: 'stock',
    seed6: null,
    iptablesConfig: {},
    ipForward: true,
  },
  {
    name: 'inner',
    behind: 'bastion',
    users: [],
    pam: false,
    units: SERVICES_ON,
    packages: IPTABLES_PKGS,
    seed: 'stock',
    seed6: null,
    iptablesConfig: {},
  },
  {
    // two hops away: bastion, then inner
    name: 'deep',
    behind: 'inner',
    users: [],
    pam: false,
    units: SERVICES_ON,
    packages: IPTABLES_PKGS,
    seed: 'stock',
    seed6: null,
    iptablesConfig: {},
  },
  {
    // sudo without password, with password, none; password-only and keyboard-interactive-only logins
    name: 'users',
    users: [
      { name: 'alice', sudo: 'nopasswd', login: 'key' },
      { name: 'bob', password: LAB_PASSWORDS.bob, sudo: 'password', login: 'any' },
      { name: 'carol', sudo: 'none', login: 'key', chattyBashrc: true },
      { name: 'dave', password: LAB_PASSWORDS.dave, sudo: 'password', login: 'password' },
      { name: 'erin', password: LAB_PASSWORDS.erin, sudo: 'none', login: 'keyboard-interactive' },
      // sudo asks frank for a password, except for sh: the case where sudo -S would not read the password line
      { name: 'frank', password: LAB_PASSWORDS.frank, sudo: 'password', login: 'key' },
    ],
    sudoersExtra: ['frank\tALL=(ALL)\tNOPASSWD: /bin/sh, /usr/bin/sh'],
    pam: true,
    units: { ...SERVICES_ON, ip6tables: { active: 'inactive', enabled: 'disabled' } },
    packages: IPTABLES_PKGS,
    seed: 'stock',
    seed6: null,
    // the flags that bite: `systemctl stop iptables` would overwrite the file with the running rules
    iptablesConfig: { SAVE_ON_STOP: 'yes', SAVE_COUNTER: 'yes', RESTORE_WAIT: '600' },
  },
  {
    // a default CentOS 7 install: firewalld running, iptables-services not installed (no /etc/sysconfig/iptables)
    name: 'fwd',
    users: [],
    pam: false,
    units: { firewalld: { active: 'active', enabled: 'enabled' } },
    packages: {
      iptables: IPTABLES_PKGS.iptables,
      'openssh-server': IPTABLES_PKGS['openssh-server'],
      firewalld: 'firewalld-0.6.3-13.el7_9.noarch',
    },
    firewallCmd: 'running',
    seed: null,
    seed6: null,
    live: 'firewalld',
    iptablesConfig: {},
  },
  {
    // a jump host that lets gina in with a password only (no key), as some sites' gateways do
    name: 'pwgate',
    onDemand: true,
    users: [{ name: 'gina', password: LAB_PASSWORDS.gina, sudo: 'none', login: 'password' }],
    pam: true,
    units: SERVICES_ON,
    packages: IPTABLES_PKGS,
    seed: 'stock',
    seed6: null,
    iptablesConfig: {},
    ipForward: true,
  },
  {
    // behind pwgate, with a different password-only user: each hop's password must go to that hop alone
    name: 'pwinner',
    onDemand: true,
    behind: 'pwgate',
    users: [{ name: 'hank', password: LAB_PASSWORDS.hank, sudo: 'password', login: 'password' }],
    pam: true,
    units: SERVICES_ON,
    packages: IPTABLES_PKGS,
    seed: 'stock',
    seed6: null,
    iptablesConfig: {},
  },
  {
    // sshd gives up on a login after 3 s (LoginGraceTime; 120 s by default): a person deciding about its key takes longer.
    // Only on demand: on a loaded machine an ordinary login can take 3 s, which would fail the whole-lab checks
    name: 'grace',
    onDemand: true,
    users: [{ name: 'ivy', password: LAB_PASSWORDS.ivy, sudo: 'none', login: 'password' }],
    pam: true,
    units: SERVICES_ON,
    packages: IPTABLES_PKGS,
    seed: 'stock',
    seed6: null,
    iptablesConfig: {},
    sshdExtra: ['LoginGraceTime 3'],
  },
  {
    // systemd as PID 1 (as every CentOS 7 host): the revert timer is a systemd-run timer; a real
    // iptables.service loads /etc/sysconfig/iptables at boot; firewalld installed but disabled
    name: 'systemd',
    kind: 'systemd',
    users: [],
    pam: false,
    units: {},
    packages: { ...IPTABLES_PKGS, firewalld: 'firewalld-0.6.3-13.el7_9.noarch' },
    seed: 'stock',
    // ip6tables.service loads it at boot, as on a CentOS 7 host with IPv6
    seed6: 'stock',
    iptablesConfig: {},
  },
];

/** The whole lab: every host but those started only on demand. */
export const DEFAULT_HOSTS: LabHostSpec[] = CATALOGUE.filter((h) => !h.onDemand);

/** The hosts asked for plus every host they are reached through. */
export function withDependencies(names: string[]): LabHostSpec[] {
  const want = new Set<string>();
  const add = (n: string) => {
    const spec = CATALOGUE.find((h) => h.name === n);
    if (!spec) throw new Error(`lab: no host "${n}" (have ${CATALOGUE.map((h) => h.name).join(', ')})`);
    want.add(n);
    if (spec.behind) add(spec.behind);
  };
  names.forEach(add);
  return CATALOGUE.filter((h) => want.has(h.name));
}
