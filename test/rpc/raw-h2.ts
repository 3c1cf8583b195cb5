/**
 * A raw node:http2 gRPC request for the wire tests: what a server answered, byte for byte, so
 * the fast path's answers can be compared with grpc-js's own.
 */
import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

/** Raw is one answer: headers, the DATA bytes concatenated, trailers (date removed). */
export interface Raw {
  headers: IncomingHttpHeaders;
  trailers?: IncomingHttpHeaders;
  data: Buffer;
}

/** raw sends body to /test.Echo/Echo (or extra's :path) and returns what came back. */
export function raw(port: number, body: Buffer, extra: OutgoingHttpHeaders = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const st = session.request({
      ':method': 'POST', ':path': '/test.Echo/Echo', 'content-type': 'application/grpc',
      te: 'trailers', ...extra,
    });
    const out: Raw = { headers: {}, data: Buffer.alloc(0) };
    const strip = (h: IncomingHttpHeaders): IncomingHttpHeaders => {
      const { date: _date, ...rest } = h;
      return rest;
    };
    st.on('response', (h) => (out.headers = strip(h)));
    st.on('trailers', (h) => (out.trailers = strip(h)));
    st.on('data', (d: Buffer) => (out.data = Buffer.concat([out.data, d])));
    st.on('close', () => {
      session.close();
      resolve(out);
    });
    st.end(body);
  });
}

/**
 * asGrpcGo is grpc-js's answer as the fast path gives it: the headers grpc-go (etcd, containerd)
 * sends — content-type application/grpc, no grpc-encoding or grpc-accept-encoding, an empty
 * grpc-message with status 0 — and otherwise the same bytes (message, status, details, metadata).
 */
export function asGrpcGo(r: Raw): Raw {
  const go = (h: IncomingHttpHeaders): IncomingHttpHeaders => {
    const { 'grpc-encoding': _e, 'grpc-accept-encoding': _a, ...rest } = h;
    if (rest['content-type'] !== undefined) rest['content-type'] = 'application/grpc';
    if (rest['grpc-status'] === '0') rest['grpc-message'] = '';
    return rest;
  };
  return { ...r, headers: go(r.headers), ...(r.trailers ? { trailers: go(r.trailers) } : {}) };
}
