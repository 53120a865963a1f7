import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './temp.js';

/** A self-signed certificate as a field site makes one, and its SHA-256 fingerprint as openssl prints it. */
export function selfSigned(name: string): { cert: string; key: string; pin: string } {
  const dir = tempDir(`tidemark-${name}`);
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  const line = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', cert], { encoding: 'utf8' });
  return { cert, key, pin: `sha256:${line.trim().split('=')[1]!}` };
}
