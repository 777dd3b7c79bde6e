// Which key and known_hosts files a host profile saved from the app may name.
// The page is not trusted with paths: a profile naming any file would make
// `connect` an existence oracle for the whole disk, and an accepted host key
// would be appended to whatever file it named. So a path is accepted only when
// it is under ~/.ssh, when the person picked it in a native file dialog of this
// run, or when the profile already held it (saved that way before). The CLI
// takes any path on its command line: the person typed it.
import { isAbsolute, join, normalize, sep } from 'node:path';

export class ProfileFiles {
  private readonly picked = new Set<string>();

  constructor(private readonly home: string) {}

  /** `~/x` → the home's x; anything else as given, normalized */
  resolve(p: string): string {
    return normalize(p.startsWith('~/') ? join(this.home, p.slice(2)) : p);
  }

  /** a path the person chose in a native dialog: accepted from now on */
  remember(path: string): void {
    this.picked.add(this.resolve(path));
  }

  /** why the page may not name this file, or undefined when it may */
  problem(value: string, previous: string | undefined): string | undefined {
    const v = value.trim();
    if (!v || v === previous) return undefined;
    const p = this.resolve(v);
    if (!isAbsolute(p)) return undefined; // the form's own check says what is wrong with it
    if (p.startsWith(join(this.home, '.ssh') + sep) || this.picked.has(p)) return undefined;
    return 'choose this file with Choose… (Portcullis uses only files you picked, or files in ~/.ssh)';
  }
}
