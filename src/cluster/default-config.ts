/**
 * The default cluster config, embedded so `npm start` works on a fresh clone with no files.
 * cluster-configs/default.yaml is the same text; a test keeps the two identical.
 */
export const DEFAULT_CONFIG_YAML = `# The default k8ts cluster: 3 masters and 2 workers on loopback (one address each). "address" is the store's
# peer port (Raft traffic); "client" is where etcd clients connect, as etcd's 2379; "api" is the
# master's API server (HTTPS, kubectl's server); "grpc" its component API (mTLS gRPC):
#   etcdctl --endpoints=127.0.1.1:2379,127.0.1.2:2379,127.0.1.3:2379 member list
#   kubectl --context k8ts-default get namespaces
name: default
members:
  - { id: 1, name: m1, address: 127.0.1.1:12380, client: 127.0.1.1:2379, api: 127.0.1.1:6443, grpc: 127.0.1.1:6444 }
  - { id: 2, name: m2, address: 127.0.1.2:12380, client: 127.0.1.2:2379, api: 127.0.1.2:6443, grpc: 127.0.1.2:6444 }
  - { id: 3, name: m3, address: 127.0.1.3:12380, client: 127.0.1.3:2379, api: 127.0.1.3:6443, grpc: 127.0.1.3:6444 }
# Relative to the cluster's state dir (~/.k8ts/<name>/, or $K8TS_HOME/<name>/).
dataDir: data
# One tick is tickMs of real time. A follower that hears no leader for electionTicks..2x ticks
# campaigns; the leader sends heartbeats every heartbeatTicks.
timing: { tickMs: 10, electionTicks: 15, heartbeatTicks: 3 }
# Followers forward proposals to the leader; false answers "not leader; leader=<id> <address>".
forwarding: true
# Mutual TLS between members and for clients: a directory with ca.crt, <member>.crt/.key and
# client.crt/.key (relative to this file). Omitted: insecure, for debugging on loopback only.
# tls: { dir: pki }
# The store's quota (etcd's quota-backend-bytes): writes beyond it raise the NOSPACE alarm.
# snapshotCount: applied entries between snapshots (etcd's --snapshot-count).
# Service cluster IPs come from loopback: nothing they name can route off the machine.
serviceCidr: 127.96.0.0/16
store: { quotaBytes: 2147483648, snapshotCount: 100000 }
# Every master is also a node (role control-plane, tainted NoSchedule): its kubelet runs the
# master's store member, API server, controller manager and scheduler as static pods, as kubeadm
# does. The process runtime needs no root: a pod is a process group with its own loopback address
# from the node's pod range (127.64.<k>.0/24). cluster-configs/runc.yaml runs real containers.
kubelet: { port: 10250, runtime: process }
workers:
  - { name: w1, address: 127.0.2.1 }
  - { name: w2, address: 127.0.2.2 }
`;
