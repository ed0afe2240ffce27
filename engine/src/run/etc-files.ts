/**
 * /etc/hostname, /etc/hosts and /etc/resolv.conf of a container: files in
 * its state directory, bind-mounted over the image's (as Docker does), so
 * the image is never written and each container can change its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NetworkMode } from './spec';

export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

/** Docker's hosts file for `--network none` (it names no address for the hostname). */
function defaultHosts(): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
  ].join('\n');
}

function hostFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Writes the three files into `dir`. resolv.conf is a copy of the host's;
 * with host networking so is hosts (Docker's behaviour for `--network
 * host`), otherwise it is Docker's localhost-only file. Synchronously: five small
 * files, each a few thread-pool round trips with fs.promises, and nothing else to do.
 */
export async function writeEtcFiles(dir: string, hostname: string, network: NetworkMode): Promise<EtcFiles> {
  const files: EtcFiles = {
    hostname: path.join(dir, 'hostname'),
    hosts: path.join(dir, 'hosts'),
    resolvConf: path.join(dir, 'resolv.conf'),
  };
  const hosts = network === 'host' ? (hostFile('/etc/hosts') ?? defaultHosts()) : defaultHosts();
  const resolv = hostFile('/etc/resolv.conf') ?? '';
  fs.writeFileSync(files.hostname, `${hostname}\n`, { mode: 0o644 });
  fs.writeFileSync(files.hosts, hosts, { mode: 0o644 });
  fs.writeFileSync(files.resolvConf, resolv, { mode: 0o644 });
  return files;
}
