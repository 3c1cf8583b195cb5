/**
 * What a component pays to read one pod watch event, with and without managedFields: the
 * client's decode of a WatchResponse (the generated decoder, as grpc-js's deserializer runs it)
 * and of the event's object JSON (src/client/wire.ts decodeJson), timed in this process on the
 * bytes the API server sends for a real pod. TLS and HTTP/2 framing, which also scale with the
 * bytes, are not in it. Used by apiserver-pod-micro.ts after its bursts.
 */
import type { KubeObject } from '../../src/api/meta.js';
import { watchEvent, watchResponseBytes } from '../../src/apiserver/grpc/watch-encode.js';
import { WatchResponse } from '../../src/gen/k8ts/api/v1/api.js';
import { decodeJson } from '../../src/client/wire.js';

/** DecodeCost: bytes of the object JSON and CPU µs to decode one event (best of the rounds). */
export interface DecodeCost {
  bytes: number;
  us: number;
}

/** decodeCost times decoding messages of `batch` MODIFIED events of pod's JSON. */
function decodeCost(json: Buffer, batch: number, rounds: number): DecodeCost {
  const events = Array.from({ length: batch }, () => watchEvent('MODIFIED', Buffer.from(json), ''));
  const msg = watchResponseBytes({ events });
  const perRound = Math.max(1, Math.round(4000 / batch));
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < perRound; i++) {
      for (const e of WatchResponse.decode(msg).events) sink += decodeJson<KubeObject>(e.objectJson).metadata.name?.length ?? 0;
    }
    const t = process.cpuUsage(t0);
    best = Math.min(best, (t.user + t.system) / (perRound * batch));
  }
  if (sink < 0) throw new Error('unreachable');
  return { bytes: json.length, us: best };
}

/** podDecodeCosts: the full and lean (no managedFields) costs of one pod's events. */
export function podDecodeCosts(pod: KubeObject, batch = 8, rounds = 7): { full: DecodeCost; lean: DecodeCost } {
  const { managedFields: _m, ...meta } = pod.metadata;
  const full = Buffer.from(JSON.stringify(pod), 'utf8');
  const lean = Buffer.from(JSON.stringify({ ...pod, metadata: meta }), 'utf8');
  // Alternate, so both see the same JIT state and the same machine.
  decodeCost(full, batch, 2);
  decodeCost(lean, batch, 2);
  return { full: decodeCost(full, batch, rounds), lean: decodeCost(lean, batch, rounds) };
}
