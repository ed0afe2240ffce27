/**
 * The registry a `login`/`logout` argument names, as the docker CLI reads
 * it: `https://host:5000/v1/` → `host:5000`; Docker Hub's aliases →
 * `docker.io`; nothing → `docker.io`.
 */
export function registryHost(input: string | undefined): string {
  if (input === undefined || input === '') return 'docker.io';
  const host = input.replace(/^[a-z]+:\/\//i, '').split('/')[0].toLowerCase();
  if (host === '') throw new Error(`invalid registry address: ${JSON.stringify(input)}`);
  return ['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'].includes(host) ? 'docker.io' : host;
}
