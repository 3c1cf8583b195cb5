/**
 * The default profile: upstream's default plugins (Kubernetes 1.32) that k8ts implements, in
 * upstream's order — filters run in this order and a node's reasons come from the first that
 * rejects it — with upstream's score weights. Not implemented (no volumes, images or
 * preemption in k8ts): VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone,
 * ImageLocality, DefaultPreemption.
 */
import { Profile } from './framework/profile.js';
import { interPodAffinityPlugin } from './plugins/inter-pod-affinity/inter-pod-affinity.js';
import { nodeAffinityPlugin } from './plugins/node-affinity/node-affinity.js';
import { nodeNamePlugin } from './plugins/node-name/node-name.js';
import { nodePortsPlugin } from './plugins/node-ports/node-ports.js';
import { balancedAllocationPlugin } from './plugins/node-resources/balanced-allocation.js';
import { nodeResourcesFitPlugin } from './plugins/node-resources/fit.js';
import { nodeUnschedulablePlugin } from './plugins/node-unschedulable/node-unschedulable.js';
import { podTopologySpreadPlugin } from './plugins/pod-topology-spread/pod-topology-spread.js';
import { taintTolerationPlugin } from './plugins/taint-toleration/taint-toleration.js';

/** defaultProfile builds the default-scheduler's profile. */
export function defaultProfile(): Profile {
  return new Profile([
    { plugin: nodeUnschedulablePlugin(), weight: 0 },
    { plugin: nodeNamePlugin(), weight: 0 },
    { plugin: taintTolerationPlugin(), weight: 3 },
    { plugin: nodeAffinityPlugin(), weight: 2 },
    { plugin: nodePortsPlugin(), weight: 0 },
    { plugin: nodeResourcesFitPlugin(), weight: 1 },
    { plugin: podTopologySpreadPlugin(), weight: 2 },
    { plugin: interPodAffinityPlugin(), weight: 2 },
    { plugin: balancedAllocationPlugin(), weight: 1 },
  ]);
}
