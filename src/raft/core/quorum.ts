/**
 * Majority arithmetic over the voters of a configuration. Learners never count.
 */

/** quorumSize is the number of voters that make a majority. */
export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** committedIndex is the largest index stored on a majority of voters. */
export function committedIndex(voters: readonly number[], matchOf: (id: number) => number): number {
  if (voters.length === 0) return Number.MAX_SAFE_INTEGER;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[quorumSize(voters.length) - 1]!;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** voteResult tallies granted/rejected votes; missing voters may still answer. */
export function voteResult(voters: readonly number[], votes: ReadonlyMap<number, boolean>): VoteResult {
  const q = quorumSize(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  if (granted >= q) return 'won';
  if (voters.length - rejected < q) return 'lost';
  return 'pending';
}
