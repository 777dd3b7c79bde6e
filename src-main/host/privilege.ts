// What a session may do as root: log in as root, sudo without a password,
// sudo with a password sent on stdin, or nothing.
import type { PrivilegeName } from '../contract/facts.js';

export type Privilege = { kind: 'root' } | { kind: 'sudo'; password: boolean } | { kind: 'none'; reason: string };

export type { PrivilegeName } from '../contract/facts.js';

export function privilegeName(p: Privilege): PrivilegeName {
  return p.kind === 'root' ? 'root' : p.kind === 'none' ? 'none' : p.password ? 'sudo-password' : 'sudo-nopasswd';
}
