// Output helpers. Text that came from a ruleset or a host is untrusted: control
// characters are escaped before they reach a terminal.
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  readFile(path: string): string;
  /** true when stdout is a terminal (escape untrusted text) */
  tty: boolean;
}

export function escapeControls(s: string): string {
  // Keep \n and \t; show every other C0/C1 control and DEL as \xHH.
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
