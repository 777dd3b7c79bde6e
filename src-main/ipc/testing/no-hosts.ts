// Handler deps for tests that are not about hosts: an empty in-memory host list.
import { HostProfiles } from '../../services/host-profiles.js';
import { HostWorkbench } from '../../services/host-workbench.js';
import { NoSecretStore } from '../../services/secrets.js';

export function noHosts() {
  const profiles = new HostProfiles(null);
  return { profiles, workbench: new HostWorkbench({ profiles, secrets: new NoSecretStore(), emit: () => {} }), secretsAvailable: false };
}
