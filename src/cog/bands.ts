import { badRequest } from '../server/errors.js';
import { MAX_BANDS } from '../server/request-limits.js';
import type { CogHeader } from './cog-header.js';

/**
 * The 0-based bands a request reads from a COG: the chosen ones (parsed `bidx`), or every sample
 * but alpha. A dataset of more than MAX_BANDS bands needs `bidx`: one answer never carries more.
 */
export function bandsToRead(header: Pick<CogHeader, 'samples' | 'alphaSample'>, chosen?: number[], what = 'the dataset'): number[] {
  if (chosen) return chosen;
  const bands = Array.from({ length: header.samples }, (_, i) => i).filter((i) => i !== header.alphaSample);
  if (bands.length > MAX_BANDS) throw badRequest(`${what} has ${bands.length} bands: choose at most ${MAX_BANDS} with bidx`);
  return bands;
}
