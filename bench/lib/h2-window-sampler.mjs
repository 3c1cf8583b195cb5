// h2-window-sampler: how often a process's HTTP/2 client sessions had (almost) no send window
// left, i.e. were held by the server's flow control. Preloaded into every node process of a run:
//
//   NODE_OPTIONS="--import $PWD/bench/lib/h2-window-sampler.mjs" RAFT_PATH_LOG=1 \
//     RAFT_PATH_STORE=100000 node --import tsx bench/raft-path.ts --levels 256 --seconds 3
//   NODE_OPTIONS="--import $PWD/bench/lib/h2-window-sampler.mjs" \
//     npm run bench -- store --only k8ts --tests put-c256 --rounds 1   (the load client's lines)
//
// It wraps http2.connect (grpc-js and k8ts's own client both dial through it) and reads each
// session's connection-level remote window (session.state.remoteWindowSize) every 1 ms of the
// process's event loop; at exit it prints one line per session that lived ≥ 100 samples: the
// samples, how many were below 32 KiB and 4 KiB, and the smallest window seen. Why sampled and
// not counted: node:http2 reports no event when flow control holds DATA back. A window at 0 in
// a few % of samples is a sender waiting for WINDOW_UPDATE (how the store's 64 KiB default was
// found: SERVER_RECEIVE_WINDOW_BYTES in src/rpc/defaults.ts). Diagnostic only; never loaded by
// default.
import http2 from 'node:http2';
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';

const SAMPLE_MS = 1;
const MIN_SAMPLES = 100;
const connect = http2.connect;
const sessions = [];

http2.connect = function sampledConnect(...args) {
  const session = connect.apply(this, args);
  const st = { samples: 0, below32k: 0, below4k: 0, min: Infinity };
  sessions.push(st);
  const timer = setInterval(() => {
    if (session.destroyed) return clearInterval(timer);
    const w = session.state?.remoteWindowSize;
    if (w === undefined) return;
    st.samples++;
    if (w < 32 * 1024) st.below32k++;
    if (w < 4 * 1024) st.below4k++;
    st.min = Math.min(st.min, w);
  }, SAMPLE_MS);
  timer.unref();
  return session;
};

function report() {
  for (const st of sessions) {
    if (st.samples < MIN_SAMPLES) continue;
    process.stderr.write(`h2 window pid ${process.pid}: samples ${st.samples}, < 32 KiB ${st.below32k}, ` +
      `< 4 KiB ${st.below4k}, min ${st.min}\n`);
  }
}
process.on('exit', report);
