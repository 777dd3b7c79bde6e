// The host layer's public surface: sessions over SSH (ssh2), known_hosts,
// ssh config, facts and pull. Never imports electron or svelte.
export * from './errors.js';
export { openSession, HostSession, shQuote, parseProbe, hopKey } from './session.js';
export type { SessionOptions, ExecOptions, ExecResult, HostKeyQuestion, ProbeResult } from './session.js';
export { privilegeName, type Privilege, type PrivilegeName } from './privilege.js';
export { resolveRoute, parseTarget, type Route, type ResolvedHop, type RouteOptions, type TargetSpec } from './target.js';
export { resolveSshConfig, loadSshConfig, type SshHostConfig } from './ssh-config.js';
export {
  parseKnownHosts,
  checkHostKey,
  fingerprintSha256,
  hashHostName,
  appendKnownHost,
  loadKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';
export { type Credentials } from './auth.js';
export { gatherFacts, parseFactsOutput, interpretFacts, factsScript, firewalldState, type FirewalldEvidence, type HostFacts } from './facts.js';
export { pullRulesets, interpretPull, pullScript, normalizeLiveRules, sha256Hex, type PullResult, type PulledText, type LiveText, type PullOptions } from './pull.js';
export { otherFamilyRouteOf, findOtherFamilyRoute, lockoutInputsOf, probeSshHostKey, type OtherFamilyDeps, type OtherFamilyQuery } from './other-family.js';
