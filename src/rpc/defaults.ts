/**
 * grpc-js defaults in one place, so every k8ts client and server agrees on keepalive, message
 * sizes and deadlines (Temporal's practice). Raft frames carry batches of entries and snapshots
 * arrive in 1 MiB chunks, so 16 MiB leaves room for both with margin.
 */
import type { ChannelOptions } from '@grpc/grpc-js';

/** MAX_MESSAGE_BYTES bounds one gRPC message in both directions (≥ 8 MiB by design). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * RECEIVE_WINDOW_BYTES: the HTTP/2 receive window every k8ts gRPC server grants its clients,
 * and every k8ts client (h2-client.ts) its server, for the connection and for each stream
 * (node:http2 and grpc-js leave both at the protocol's 65,535 bytes). Why: a store leader's
 * Raft appends to a follower all travel on ONE Replicate stream, and at 256 Puts in flight one
 * append is ~40 KB (~125 entries of ~320 B), so two in flight exceed 64 KiB and the leader
 * waits for the follower's WINDOW_UPDATE, which the follower sends only after its turn (and its
 * fdatasync): a round trip in the commit path.
 * Sampled every 1 ms on the leader (raft-path, 256 in flight), its send window to each follower
 * was below 4 KiB in 5-6 % of samples and reached 0; with 1 MiB it never went below 357 KB. The
 * same holds for a load client's burst of Puts after a batch of answers (256 × ~300 B). etcd's
 * grpc-go servers grow their windows by bandwidth-delay estimation (their BDP PINGs) for this.
 * A window is a permission, not a buffer: node:http2 counts connection data consumed as it
 * arrives; what one stream may hold unread is its window (1 MiB instead of 64 KiB), and k8ts's
 * readers take each message as it arrives.
 * The client side is the same problem the other way: a watch stream (a store member's to an API
 * server, an API server's to a scheduler, controller manager or kubelet) carries a burst of pod
 * events, 100 pods × 3–7 KB, and at 64 KiB the sender stopped every ~10–20 events until the
 * receiver's turn had read them and its WINDOW_UPDATE came back.
 */
export const RECEIVE_WINDOW_BYTES = 1024 * 1024;

/** Keepalive detects a peer that vanished without closing its TCP connection (a SIGSTOPped or
 *  partitioned member) within about keepaliveTimeMs + keepaliveTimeoutMs. */
export const KEEPALIVE_TIME_MS = 5_000;
export const KEEPALIVE_TIMEOUT_MS = 3_000;

/** Default deadline of a unary call when the caller names none: no call may wait forever. */
export const DEFAULT_DEADLINE_MS = 5_000;

/**
 * Transport is what a channel runs over. 'network' pings every KEEPALIVE_TIME_MS to notice a peer
 * that vanished without closing; 'local-socket' leaves pings out: on a unix socket a peer
 * that dies closes the connection, so pings only add a failure — a process starved of CPU for
 * KEEPALIVE_TIMEOUT_MS (a burst of pod starts on a loaded node) misses one and the connection
 * drops with every call in flight. The CRI socket is one (containerd's runs without keepalive).
 */
export type Transport = 'network' | 'local-socket';

function keepalive(t: Transport): ChannelOptions {
  if (t === 'local-socket') return {};
  return {
    'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
    'grpc.keepalive_permit_without_calls': 1,
  };
}

/**
 * Servers ping their clients as etcd's do by default (--grpc-keepalive-interval 2h, -timeout
 * 20s): only to free what a long-dead client holds. A server's keepalive timer that expired
 * while its own process was stalled fires before the loop reads the ping's answer, so a short
 * timeout turns every stall of a store member or API server longer than it into a drop of ALL
 * its clients' connections (watches, peers' Raft streams) the moment it resumes — a reconnect
 * storm on a machine that is already starved (the 1,000-hollow-node runs: after each member's
 * multi-second stall, both of its peers' streams and its API servers' sessions went down at
 * once). Clients still ping on their own schedule to find a vanished server.
 */
const SERVER_KEEPALIVE: ChannelOptions = {
  'grpc.keepalive_time_ms': 2 * 60 * 60 * 1000,
  'grpc.keepalive_timeout_ms': 20_000,
};

/** channelOptions are the options every k8ts client channel is created with. */
export function channelOptions(
  extra: ChannelOptions = {},
  t: Transport = 'network',
): ChannelOptions {
  return {
    ...keepalive(t),
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    // Reconnect quickly: a restarted member should rejoin within an election timeout or two.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1_000,
    // One channel per peer and target; never share subchannels across clients in a process, so
    // closing one client cannot affect another.
    'grpc.use_local_subchannel_pool': 1,
    // channelz keeps per-call counters and trace events nobody here reads: pure per-call cost.
    'grpc.enable_channelz': 0,
    ...extra,
  };
}

/** serverOptions are the options every k8ts gRPC server is created with. Clients ping every
 *  KEEPALIVE_TIME_MS, so the server must allow pings at least that often; its own pings are
 *  SERVER_KEEPALIVE's. */
export function serverOptions(
  extra: ChannelOptions = {},
  t: Transport = 'network',
): ChannelOptions {
  return {
    ...(t === 'local-socket' ? {} : SERVER_KEEPALIVE),
    'grpc.http2.min_ping_interval_without_data_ms': 1_000,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    // channelz stays ON for servers: grpc-js 1.14 tracks a server's sessions only with channelz
    // on, and forceShutdown() closes only tracked sessions — with it off, a stopped server's
    // connections stay open, so peers keep streaming into a stopped member and never reconnect
    // to its restart (test/raft/transport.test.ts "reconnects to a restarted peer").
    ...extra,
  };
}

/** deadlineIn turns a relative timeout into the absolute Date grpc-js expects. Deadlines are wall
 *  time by protocol, so this is the one place rpc code reads Date. */
export function deadlineIn(timeoutMs: number): Date {
  return new Date(Date.now() + timeoutMs);
}

/** remainingMs is how long a server may still work on a call whose deadline is `deadline`
 *  (grpc-js gives Infinity when the client set none), capped at capMs. */
export function remainingMs(deadline: Date | number, capMs: number): number {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return capMs;
  return Math.max(0, Math.min(capMs, at - Date.now()));
}
