/**
 * Credentials for k8ts servers and clients: insecure (explicit debugging mode) or mutual TLS from
 * PEM files signed by the cluster CA. With mTLS the server demands a client certificate, so a
 * process without one signed by the cluster CA cannot join the Raft group or propose.
 */
import { readFileSync } from 'node:fs';
import { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';

/** TlsFiles names the PEM files of one identity plus the CA that signs every identity. */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** serverCredentials: mTLS (client certificates checked) when tls is given, else insecure. */
export function serverCredentials(tls: TlsFiles | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const [ca, cert, key] = readPem(tls);
  return ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true);
}

/** channelCredentials: a client that presents its own certificate and trusts only the CA. */
export function channelCredentials(tls: TlsFiles | undefined): ChannelCredentials {
  if (!tls) return ChannelCredentials.createInsecure();
  const [ca, cert, key] = readPem(tls);
  return ChannelCredentials.createSsl(ca, key, cert);
}

function readPem(tls: TlsFiles): [Buffer, Buffer, Buffer] {
  return [readFileSync(tls.caFile), readFileSync(tls.certFile), readFileSync(tls.keyFile)];
}
