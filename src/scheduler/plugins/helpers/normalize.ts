/**
 * Score normalization shared by plugins (upstream's helper.DefaultNormalizeScore): scale raw
 * scores so the highest becomes MAX_NODE_SCORE; reversed, so the highest becomes 0 (for raw
 * scores that count something bad, such as untolerated taints).
 */
import { MAX_NODE_SCORE } from '../../framework/interfaces.js';

/** defaultNormalizeScore rewrites scores in place (integer arithmetic, as upstream). */
export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
