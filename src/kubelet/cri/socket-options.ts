/**
 * gRPC options for the CRI's unix socket, kubelet and runtime alike. Keepalive pings (k8ts's
 * default: every 5 s, 3 s to answer) exist to notice a peer that vanished behind a network;
 * on a unix socket a peer that dies closes the connection, so they only add a failure: a
 * runtime or kubelet starved of CPU for 3 s (a burst of pod starts on a loaded node) misses a
 * ping and the connection drops with every call in flight ("Connection dropped"), which the
 * workers then retry from scratch. containerd's CRI socket runs without keepalive too.
 */
import type { ChannelOptions } from '@grpc/grpc-js';

/** withoutKeepalive: the options minus the keepalive settings (grpc-js's default: none). */
export function withoutKeepalive(o: ChannelOptions): ChannelOptions {
  const {
    'grpc.keepalive_time_ms': _time,
    'grpc.keepalive_timeout_ms': _timeout,
    'grpc.keepalive_permit_without_calls': _idle,
    ...rest
  } = o;
  return rest;
}
