import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Installs `docker-credential-<name>` in `binDir`: a shell script speaking the
 * credential-helper protocol, keeping one file per server URL in `storeDir`.
 */
export async function installCredentialHelper(binDir: string, name: string, storeDir: string): Promise<void> {
  await fs.mkdir(binDir, { recursive: true });
  await fs.mkdir(storeDir, { recursive: true });
  const script = `#!/bin/sh
set -e
store='${storeDir}'
key() { printf '%s' "$1" | od -An -tx1 | tr -d ' \\n'; }
case "$1" in
  get)
    url=$(cat)
    f="$store/$(key "$url")"
    if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  store)
    json=$(cat)
    url=$(printf '%s' "$json" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p')
    printf '%s' "$json" > "$store/$(key "$url")" ;;
  erase)
    url=$(cat)
    rm -f "$store/$(key "$url")" ;;
  list)
    printf '{'; sep=''
    for f in "$store"/*; do [ -f "$f" ] || continue
      u=$(sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p' "$f"); n=$(sed -n 's/.*"Username":"\\([^"]*\\)".*/\\1/p' "$f")
      printf '%s"%s":"%s"' "$sep" "$u" "$n"; sep=','
    done; printf '}' ;;
  *) echo "unknown action $1"; exit 1 ;;
esac
`;
  const file = path.join(binDir, `docker-credential-${name}`);
  await fs.writeFile(file, script, { mode: 0o755 });
}
